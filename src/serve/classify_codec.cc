#include "serve/classify_codec.h"

#include <algorithm>

#include "serve/json_codec.h"
#include "serve/service.h"

namespace quiver::serve {
namespace {

Status read_string_list(const nlohmann::json& body, const char* key,
                        std::vector<std::string>& out) {
  auto s = body.find(key);
  if (s == body.end() || !s->is_array()) {
    return invalid_argument(std::string(key) + ": expected an array of strings");
  }
  for (size_t i = 0; i < s->size(); ++i) {
    const auto& e = (*s)[i];
    if (!e.is_string()) {
      return invalid_argument(std::string(key) + "[" + std::to_string(i) +
                              "]: expected a string, got " + e.type_name());
    }
    out.push_back(e.get<std::string>());
  }
  return Status();
}

float column_threshold(const Servable& s, int64_t column) {
  return s.thresholds.empty() ? 0.5f : static_cast<float>(s.thresholds[column]);
}

}  // namespace

Status read_classify_request(const nlohmann::json& body, ClassifyRequest& req) {
  const bool has_group = body.contains("group") || body.contains("categories");
  if (auto c = body.find("category"); c != body.end()) {
    if (!c->is_string()) return invalid_argument("category: expected a string (the model name)");
    if (has_group) {
      return invalid_argument("give category (one model) or group / categories, not both");
    }
    req.category = c->get<std::string>();
    req.by_category = true;
  }
  if (auto g = body.find("group"); g != body.end()) {
    if (!g->is_string()) return invalid_argument("group: expected a string (the group name)");
    req.group = g->get<std::string>();
  }
  if (body.contains("categories")) {
    QUIVER_RETURN_IF_ERROR(read_string_list(body, "categories", req.categories));
    if (req.categories.empty()) return invalid_argument("categories: empty list");
  }
  QUIVER_RETURN_IF_ERROR(read_string_list(body, "sentences", req.sentences));
  if (auto r = body.find("return_ids"); r != body.end()) {
    if (!r->is_boolean()) return invalid_argument("return_ids: expected true or false");
    req.return_ids = r->get<bool>();
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "category" && key != "sentences" && key != "return_ids" && key != "group" &&
        key != "categories")
      return invalid_argument("unknown field '" + key + "'");
  }
  return Status();
}

void append_known_tokens(std::string& out, int64_t known_tokens) {
  out += ",\"known_tokens\":" + std::to_string(known_tokens);
}

void append_ids(std::string& out, const int32_t* ids, int64_t n) {
  out += "\"ids\":[";
  for (int64_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
}

void append_result(std::string& out, const Servable& s, const float* row) {
  std::vector<float> scores = label_scores(s, row);
  const Decision d = s.classifier->decide(row);  // the one rule (include/quiver/classifier.h)
  out += "{\"label\":";
  append_json_string(out, s.labels[d.label]);
  if (s.classifier->info().multi_label) {
    out += ",\"labels\":[";
    for (size_t i = 0; i < d.chosen.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, s.labels[d.chosen[i]]);
    }
    out += ']';
  }
  out += ",\"scores\":{";
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, s.labels[i]);
    out += ':';
    append_float(out, scores[i]);
  }
  out += '}';
}

void append_category_result(std::string& out, const Servable& s, const float* row,
                            int64_t column, const std::vector<std::string>& labels) {
  const float p = row[column];
  out += "{\"label\":";
  append_json_string(out, labels[p > column_threshold(s, column) ? 1 : 0]);
  out += ",\"scores\":{";
  append_json_string(out, labels[0]);
  out += ':';
  append_float(out, 1.0f - p);
  out += ',';
  append_json_string(out, labels[1]);
  out += ':';
  append_float(out, p);
  out += '}';
}

bool category_decision(const Servable& s, const float* row, int64_t column) {
  if (column >= 0) return row[column] > column_threshold(s, column);
  const Decision d = s.classifier->decide(row);
  const size_t last = s.labels.size() - 1;
  if (s.classifier->info().multi_label) {
    return std::find(d.chosen.begin(), d.chosen.end(), last) != d.chosen.end();
  }
  return d.label == last;
}

}  // namespace quiver::serve
