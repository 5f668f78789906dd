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

}  // namespace
}  // namespace quiver::testing
