// Black-box tests of GET /metrics (Prometheus text format).
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

class MetricsTest : public ServerTest {};


TEST_F(MetricsTest, CountsRequestsFailuresHistogramsAndLoads) {
  QUIVER_REQUIRE_MODELS(kTextModel, kIdsModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel) + model_entry("a", kIdsModel)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        client().post("/v1/classify", R"({"category":"B","sentences":["vaksin aman","x"]})").status,
        200);
  }
  ASSERT_EQ(client().post("/v1/classify", R"({"category":"B","sentences":[" "]})").status, 400);
  auto r = client().get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r.body;
  EXPECT_EQ(metric_value(m, "quiver_requests_total{model=\"B\"}"), 4);
  EXPECT_EQ(metric_value(m, "quiver_request_failures_total{model=\"B\"}"), 1);
  EXPECT_EQ(metric_value(m, "quiver_in_flight_requests{model=\"B\"}"), 0);
  EXPECT_EQ(metric_value(m, "quiver_request_latency_seconds_count{model=\"B\"}"), 3);
  EXPECT_EQ(metric_value(m, "quiver_queue_seconds_count{model=\"B\"}"), 3);
  EXPECT_EQ(metric_value(m, "quiver_batch_size_bucket{model=\"B\",le=\"2\"}"), 3);
  EXPECT_EQ(metric_value(m, "quiver_batch_size_sum{model=\"B\"}"), 6);
  EXPECT_GT(metric_value(m, "quiver_model_memory_bytes{model=\"a\"}"), 100000);
  EXPECT_EQ(metric_value(m, "quiver_model_loads_total{model=\"a\"}"), 1);
  EXPECT_EQ(metric_value(m, "quiver_model_load_failures_total{model=\"a\"}"), 0);
  EXPECT_EQ(metric_value(m, "quiver_model_available{model=\"a\"}"), 1);
  EXPECT_NE(m.find("# TYPE quiver_request_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("quiver_request_latency_seconds_bucket{model=\"B\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_GE(metric_value(m, "quiver_http_responses_total{code=\"4xx\"}"), 1);
}

// Bytes by part per serving version, under each model's memory policy (issue 18): `none`
// holds no tables nor trajectories, `lazy` (from server.memory_policy) holds its tables'
// row index and grows with the tokens requests bring, fp32 holds whole tables; the parts
// add up to the total series, which keeps its old labels.
TEST_F(MetricsTest, MemoryBytesByPartFollowTheMemoryPolicy) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("none", kIdsModel, "    memory_policy: none\n") +
                        model_entry("lazy", kIdsModel) +
                        model_entry("fp32", kIdsModel, "    memory_policy: fp32\n"),
                    "  memory_policy: lazy\n"));
  auto part = [](const std::string& body, const std::string& model, const char* p) {
    return metric_value(body, "quiver_model_memory_part_bytes{model=\"" + model +
                                  "\",version=\"1\",part=\"" + p + "\"}");
  };
  const std::string before = client().get("/metrics").body;
  EXPECT_EQ(part(before, "none", "tables"), 0);
  EXPECT_EQ(part(before, "none", "trajectories"), 0);
  EXPECT_GT(part(before, "none", "weights"), 0);
  EXPECT_EQ(part(before, "fp32", "weights"), part(before, "none", "weights"));
  // ids_lstm: Embedding(5000) -> LSTM: one table of 5000 rows; the lazy one holds at least
  // its row index (4 bytes a row) and much less than the whole table.
  const double whole = part(before, "fp32", "tables");
  EXPECT_GT(whole, 5000 * 16);
  const double lazy_before = part(before, "lazy", "tables");
  EXPECT_GE(lazy_before, 5000 * 4);
  EXPECT_LT(lazy_before, whole / 2);
  for (const char* model : {"none", "lazy", "fp32"}) {
    double sum = 0;
    for (const char* p : {"weights", "tables", "trajectories", "tokenizer", "other"}) {
      sum += part(before, model, p);
    }
    EXPECT_EQ(sum, metric_value(before, std::string("quiver_model_memory_bytes{model=\"") +
                                            model + "\"}"))
        << model;
  }
  std::string ids = "[";
  for (int i = 1; i <= 40; ++i) ids += std::to_string(i * 97) + (i < 40 ? "," : "]");
  ASSERT_EQ(client().post("/v1/models/lazy:predict", "{\"instances\":[" + ids + "]}").status, 200);
  EXPECT_GT(part(client().get("/metrics").body, "lazy", "tables"), lazy_before);
}

// The text format's rules for a metric family (Prometheus exposition format 0.0.4 and the
// client-library guidelines): one # TYPE line, before the family's samples, and the same label
// names on every sample of it (a histogram's _bucket adds `le`). A total beside labelled parts
// under one name would break the second rule, and sum() over the family would count twice.
TEST_F(MetricsTest, EachFamilyHasOneTypeLineAndOneSetOfLabelNames) {
  QUIVER_REQUIRE_MODELS(kTextModel, kIdsModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel) + model_entry("a", kIdsModel) +
                        model_entry("later", kIdsModel, "    load: on_demand\n"),
                    "  memory_budget_mb: 4096\n"));
  ASSERT_EQ(
      client().post("/v1/classify", R"({"category":"B","sentences":["vaksin aman"]})").status,
      200);
  const std::string body = client().get("/metrics").body;
  std::map<std::string, std::string> types;                 // family -> type
  std::map<std::string, std::set<std::string>> label_sets;  // family -> label names
  std::istringstream in(body);
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      EXPECT_TRUE(types.emplace(name, type).second) << "a second # TYPE line: " << line;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    const size_t name_end = line.find_first_of("{ ");
    ASSERT_NE(name_end, std::string::npos) << line;
    std::string family = line.substr(0, name_end);
    std::set<std::string> labels;
    if (line[name_end] == '{') {
      // name="value" pairs; values may hold escaped quotes.
      for (size_t at = name_end + 1; at < line.size() && line[at] != '}';) {
        const size_t eq = line.find('=', at);
        ASSERT_NE(eq, std::string::npos) << line;
        labels.insert(line.substr(at, eq - at));
        size_t q = eq + 2;
        while (q < line.size() && line[q] != '"') q += line[q] == '\\' ? 2 : 1;
        at = q + 1;
        if (at < line.size() && line[at] == ',') ++at;
      }
    }
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string sfx = suffix;
      if (family.size() > sfx.size() &&
          family.compare(family.size() - sfx.size(), sfx.size(), sfx) == 0 &&
          types.count(family.substr(0, family.size() - sfx.size())) != 0 &&
          types[family.substr(0, family.size() - sfx.size())] == "histogram") {
        family.resize(family.size() - sfx.size());
        labels.erase("le");
      }
    }
    ASSERT_TRUE(types.count(family) != 0) << "no # TYPE line before " << line;
    auto [it, fresh] = label_sets.emplace(family, labels);
    EXPECT_EQ(it->second, labels) << "another set of label names in " << family << ": " << line;
  }
  EXPECT_GT(samples, 40);
  EXPECT_EQ(label_sets["quiver_model_memory_bytes"], (std::set<std::string>{"model"}));
  EXPECT_EQ(label_sets["quiver_model_memory_part_bytes"],
            (std::set<std::string>{"model", "version", "part"}));
}

}  // namespace
}  // namespace quiver::testing
