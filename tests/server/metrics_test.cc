// Black-box tests of GET /metrics (Prometheus text format).
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
    return metric_value(body, "quiver_model_memory_bytes{model=\"" + model +
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

}  // namespace
}  // namespace quiver::testing
