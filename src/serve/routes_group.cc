// POST /v1/classify for a group (issue 7): every category of a group, or a subset, per
// sentence, from one side of the group.
//   {"sentences": [...]}                                    -> the default group
//   {"group": "g", "categories": ["A", "B"], "sentences": [...], "return_ids": true}
// -> {"group": "g", "generation": 1, "served_by": ["A@1", "B@1"],
//     "results": [{"categories": {"A": {"label": ..., "scores": {...}}, ...}}, ...]}
// (per-category shapes in classify_codec.h).
//
// Path: Registry::acquire_group pins every model of the serving side (and the shadow) in
// one lock, so the whole answer comes from one side of any switch. Texts are tokenized
// once per distinct encoding (Servable::encoding_key: members whose tokenizer, length,
// padding and segmenter agree share one id batch); each model's rows go through its own
// batcher, so different members run in parallel on their batcher threads; the last one
// to finish formats the answer. The shadow model gets the same texts at the same time,
// bounded by shadow_max_queue (beyond: dropped and counted); when both sides are done,
// the last one counts per-category disagreements. The answer never waits for the shadow.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>

#include "serve/classify_codec.h"
#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

// One category of a side: the run (model) that answers it and its output column.
struct Slot {
  std::string category;
  size_t run = 0;
  int64_t column = -1;  // -1: a binary model's whole output; else a multi-label column
};

struct SidePlan {
  std::vector<ModelHandle> runs;
  std::vector<Slot> slots;  // in answer order
};

// Every category a side offers: members by name; a multi-label model by its labels (a
// one-unit binary model given as `model` offers its own name).
SidePlan offered(const std::vector<ModelHandle>& members, const ModelHandle& model) {
  SidePlan plan;
  plan.runs = members;
  for (size_t i = 0; i < members.size(); ++i) plan.slots.push_back({members[i].servable->name, i});
  if (!model.servable) return plan;
  plan.runs.push_back(model);
  const Servable& s = *model.servable;
  if (s.output_units == 1) {
    plan.slots.push_back({s.name, 0, -1});
    return plan;
  }
  for (size_t k = 0; k < s.labels.size(); ++k) {
    plan.slots.push_back({s.labels[k], 0, static_cast<int64_t>(k)});
  }
  return plan;
}

std::string category_list(const SidePlan& plan) {
  std::string out;
  for (const auto& s : plan.slots) out += (out.empty() ? "" : ", ") + s.category;
  return out;
}

// Keeps the wanted categories (all when `wanted` is empty) and the runs they need.
// With `strict`, an unknown category is InvalidArgument; otherwise it is skipped.
Result<SidePlan> select(const SidePlan& all, const std::vector<std::string>& wanted,
                        bool strict, const std::string& group) {
  std::vector<Slot> chosen;
  if (wanted.empty()) chosen = all.slots;
  for (const auto& w : wanted) {
    if (strict && std::count(wanted.begin(), wanted.end(), w) > 1) {
      return invalid_argument("categories: '" + w + "' given twice");
    }
    auto it = std::find_if(all.slots.begin(), all.slots.end(),
                           [&](const Slot& s) { return s.category == w; });
    if (it != all.slots.end()) {
      chosen.push_back(*it);
    } else if (strict) {
      return invalid_argument("categories: '" + w + "' is not a category of group '" + group +
                              "' (categories: " + category_list(all) + ")");
    }
  }
  SidePlan plan;
  std::map<size_t, size_t> run_index;
  for (Slot s : chosen) {
    auto [it, added] = run_index.emplace(s.run, plan.runs.size());
    if (added) plan.runs.push_back(all.runs[s.run]);
    s.run = it->second;
    plan.slots.push_back(std::move(s));
  }
  for (const auto& r : plan.runs) {
    if (r.servable->output_shape.size() != 1) {
      return unimplemented("model '" + r.servable->name +
                           "' does not output one score vector per text");
    }
  }
  return plan;
}

// Tokenized inputs per encoding key, shared by the runs (and the shadow) that agree.
using Encodings = std::map<uint64_t, std::shared_ptr<const EncodedInput>>;

Status encode_plan(const SidePlan& plan, const std::vector<std::string>& texts,
                   const ServerLimits& limits, Encodings& encodings) {
  for (const auto& r : plan.runs) {
    const uint64_t key = r.servable->encoding_key;
    if (key != 0 && encodings.count(key)) continue;
    QUIVER_ASSIGN_OR_RETURN(EncodedInput e, encode_texts(*r.servable, texts, limits, "sentences"));
    encodings[key] = std::make_shared<const EncodedInput>(std::move(e));
  }
  return Status();
}

// One side's model runs in flight; `done` is called once, by the last run to finish.
struct SideCall {
  SidePlan plan;
  std::vector<std::shared_ptr<const EncodedInput>> inputs;  // per run
  std::vector<Result<std::vector<Tensor>>> outputs;         // per run, each set by its run
  std::atomic<size_t> remaining{0};
  std::function<void(SideCall&)> done;

  Status first_error() const {
    for (const auto& o : outputs) {
      if (!o.ok()) return o.status();
    }
    return Status();
  }
  const float* row(const Slot& slot, int64_t r) const {
    return (*outputs[slot.run])[0].data.data() + r * plan.runs[slot.run].servable->output_units;
  }
};

void start_side(Service& service, std::shared_ptr<SideCall> call, const Encodings& encodings) {
  const size_t n = call->plan.runs.size();
  for (const auto& r : call->plan.runs) call->inputs.push_back(encodings.at(r.servable->encoding_key));
  call->outputs.assign(n, Result<std::vector<Tensor>>(internal_error("not run")));
  call->remaining.store(n);
  for (size_t i = 0; i < n; ++i) {
    service.infer(call->plan.runs[i], *call->inputs[i], [call, i](Result<std::vector<Tensor>> out) {
      call->outputs[i] = std::move(out);
      if (call->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) call->done(*call);
    });
  }
}

// Decisions of `call` for `categories`, row-major (rows x categories).
std::vector<uint8_t> decisions(const SideCall& call, const std::vector<std::string>& categories,
                               int64_t rows) {
  std::vector<const Slot*> slots;
  for (const auto& c : categories) {
    for (const auto& s : call.plan.slots) {
      if (s.category == c) slots.push_back(&s);
    }
  }
  std::vector<uint8_t> out;
  for (int64_t r = 0; r < rows; ++r) {
    for (const Slot* s : slots) {
      out.push_back(category_decision(*call.plan.runs[s->run].servable, call.row(*s, r),
                                      s->column));
    }
  }
  return out;
}

// Compares the serving side's and the shadow's decisions once both are known.
struct ShadowCheck {
  GroupMetrics* metrics = nullptr;
  std::vector<std::string> categories;
  int64_t rows = 0;
  std::vector<uint8_t> serving, shadow;  // each written by its side before finish()
  std::atomic<int> remaining{2};

  void finish() {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (serving.empty() || shadow.empty()) return;  // a side failed: nothing to compare
    const size_t n = categories.size();
    for (size_t c = 0; c < n; ++c) {
      CategoryCounters& counters = metrics->category(categories[c]);
      uint64_t differ = 0;
      for (int64_t r = 0; r < rows; ++r) differ += serving[r * n + c] != shadow[r * n + c];
      counters.compared.fetch_add(static_cast<uint64_t>(rows), std::memory_order_relaxed);
      counters.disagreements.fetch_add(differ, std::memory_order_relaxed);
    }
  }
};

HttpResponse format_group(const GroupHandle& g, const SideCall& call, int64_t rows,
                          bool return_ids) {
  std::string json = "{\"group\":";
  append_json_string(json, g.name);
  json += ",\"generation\":" + std::to_string(g.generation) + ",\"served_by\":[";
  for (size_t i = 0; i < call.plan.runs.size(); ++i) {
    const Servable& s = *call.plan.runs[i].servable;
    if (i) json += ',';
    append_json_string(json, s.name + "@" + std::to_string(s.version));
  }
  json += "],\"results\":[";
  for (int64_t r = 0; r < rows; ++r) {
    json += r ? ",{\"categories\":{" : "{\"categories\":{";
    for (size_t k = 0; k < call.plan.slots.size(); ++k) {
      const Slot& slot = call.plan.slots[k];
      const Servable& s = *call.plan.runs[slot.run].servable;
      if (k) json += ',';
      append_json_string(json, slot.category);
      json += ':';
      if (slot.column < 0) {
        append_result(json, s, call.row(slot, r));
      } else {
        append_category_result(json, s, call.row(slot, r), slot.column, g.labels);
      }
      const EncodedInput& in = *call.inputs[slot.run];
      append_known_tokens(json, in.known_tokens[static_cast<size_t>(r)]);
      if (return_ids) {
        json += ',';
        // a TextVectorization model has no id rows (seq_len -1): "ids": []
        const int64_t n = std::max<int64_t>(in.seq_len, 0);
        append_ids(json, in.ids.data() + r * n, n);
      }
      json += '}';
    }
    json += "}}";
  }
  return json_response(200, json + "]}");
}

// Starts the shadow for the categories it shares with `serving`, unless its queue is full.
std::shared_ptr<ShadowCheck> start_shadow(Service& service, const GroupHandle& g,
                                          const SidePlan& serving, const ClassifyRequest& req,
                                          GroupMetrics& gm, Encodings& encodings) {
  if (!g.shadow.servable) return nullptr;
  std::vector<std::string> wanted;
  for (const auto& s : serving.slots) wanted.push_back(s.category);
  auto plan = select(offered({}, g.shadow), wanted, false, g.name);
  if (!plan.ok() || plan->slots.empty()) return nullptr;
  if (gm.shadow_in_flight.fetch_add(1) >= g.shadow_max_queue) {
    gm.shadow_in_flight.fetch_sub(1);
    gm.shadow_dropped.fetch_add(1);
    return nullptr;
  }
  if (!encode_plan(*plan, req.sentences, service.server().limits, encodings).ok()) {
    gm.shadow_in_flight.fetch_sub(1);
    gm.shadow_failures.fetch_add(1);
    return nullptr;
  }
  auto check = std::make_shared<ShadowCheck>();
  check->metrics = &gm;
  check->rows = static_cast<int64_t>(req.sentences.size());
  for (const auto& s : plan->slots) check->categories.push_back(s.category);
  auto call = std::make_shared<SideCall>();
  call->plan = std::move(plan).value();
  call->done = [check, gm = &gm](SideCall& c) {
    gm->shadow_in_flight.fetch_sub(1);
    Status st = c.first_error();
    if (st.code() == StatusCode::kResourceExhausted) {
      gm->shadow_dropped.fetch_add(1);
    } else if (!st.ok()) {
      gm->shadow_failures.fetch_add(1);
    } else {
      gm->shadow_requests.fetch_add(1);
      check->shadow = decisions(c, check->categories, check->rows);
    }
    check->finish();
  };
  start_side(service, call, encodings);
  return check;
}

}  // namespace

void classify_group(Service& service, const ClassifyRequest& req, const Responder& respond) {
  auto handle = service.registry().acquire_group(req.group);
  if (!handle.ok()) return respond(error_response(handle.status()));
  auto g = std::make_shared<const GroupHandle>(std::move(handle).value());
  GroupMetrics& gm = service.metrics().for_group(g->name);
  gm.requests.fetch_add(1);
  Encodings encodings;
  auto plan = select(offered(g->members, g->model), req.categories, true, g->name);
  Status st = plan.ok() ? Status() : plan.status();
  if (st.ok() && req.sentences.empty()) st = invalid_argument("sentences: no texts given");
  if (st.ok()) st = encode_plan(*plan, req.sentences, service.server().limits, encodings);
  if (!st.ok()) {
    gm.failures.fetch_add(1);
    return respond(error_response(st));
  }
  for (const auto& r : plan->runs) {  // counted per model; a refusing model refuses the request
    if (auto refused = check_coverage(service, *r.servable,
                                      *encodings.at(r.servable->encoding_key), "sentences")) {
      gm.failures.fetch_add(1);
      return respond(std::move(*refused));
    }
  }
  auto shadow = start_shadow(service, *g, *plan, req, gm, encodings);
  auto call = std::make_shared<SideCall>();
  call->plan = std::move(plan).value();
  const int64_t rows = static_cast<int64_t>(req.sentences.size());
  call->done = [g, gm = &gm, shadow, rows, return_ids = req.return_ids,
                respond](SideCall& c) {
    Status failed = c.first_error();
    if (shadow) {
      if (failed.ok()) shadow->serving = decisions(c, shadow->categories, rows);
      shadow->finish();
    }
    if (!failed.ok()) {
      gm->failures.fetch_add(1);
      return respond(error_response(failed));
    }
    respond(format_group(*g, c, rows, return_ids));
  };
  start_side(service, call, encodings);
}

}  // namespace quiver::serve
