// Black-box tests of how `quiver serve` starts and stops (issue 14, item 6): the port is
// bound first (a taken port fails at once, exit 6, one stderr line); /v2/health/live is
// true from then on; readiness (server, per model, TF Serving's LOADING state) is false
// until each model is trained or loaded; training on start reports its progress in the
// log and in /metrics; SIGTERM during that training ends it and leaves no partial model.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "conformance_models.h"
#include "server_fixture.h"

namespace quiver::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StartupTest : public ServerTest {
 protected:
  // A model trained on start from a generated CSV: `epochs` epochs of `rows` rows.
  std::string trained_entry(const std::string& name, int rows, int epochs) {
    write_text(dir_.file(name + ".csv"), conformance_csv(rows));
    return "  - name: " + name + "\n    model: " + dir_.file(name + ".h5") + "\n    train_data: " +
           dir_.file(name + ".csv") +
           "\n    train_if_missing: true\n    training: {architecture: cnn, epochs: " +
           std::to_string(epochs) +
           ", embedding_dim: 8, units: 8, maxlen: 12, validation_split: 0.25}\n";
  }
  void write_config(const std::string& models) {
    config_path_ = dir_.file("serve.yaml");
    write_text(config_path_, "server:\n  host: 127.0.0.1\nmodels:\n" + models);
  }
};

// "bind the port first (a conflict fails at once with a documented exit code and one
// clear stderr line)": the model below would train for ever, so exiting at all shows the
// bind came first.
TEST_F(StartupTest, APortAlreadyTakenFailsAtOnceWithExitCode6) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  write_config(trained_entry("slow", 400, 100000));
  auto run = testutil::shell("timeout 120 " + testutil::quiver_binary() + " serve --config " +
                             config_path_ + " --port " + std::to_string(port) + " 2>&1");
  ::close(fd);
  EXPECT_EQ(run.code, 6) << run.out;
  EXPECT_EQ(run.out, "quiver serve: io error: cannot listen on 127.0.0.1:" +
                         std::to_string(port) + ": Address already in use\n");
  EXPECT_FALSE(fs::exists(dir_.file("slow.h5")));
}

// Live from the start; not ready (server, model, TF Serving LOADING, inference 503) while
// the model trains; training progress in /metrics and the log; SIGTERM ends the training,
// exits 0 and leaves no half-trained model behind.
TEST_F(StartupTest, LiveButNotReadyWhileTrainingThenStopsCleanly) {
  write_config(trained_entry("slow", 400, 100000));  // never finishes by itself
  server_.set_wait_for_models(false);
  ASSERT_TRUE(server_.start(config_path_)) << server_.error();
  HttpClient c(server_.port());
  EXPECT_EQ(c.get("/v2/health/live").status, 200);
  auto ready = c.get("/v2/health/ready");
  EXPECT_EQ(ready.status, 400);
  EXPECT_EQ(json::parse(ready.body), json({{"ready", false}}));
  EXPECT_EQ(c.get("/v2/models/slow/ready").status, 400);
  auto status = json::parse(c.get("/v1/models/slow").body);
  EXPECT_EQ(status["model_version_status"][0]["state"], "LOADING") << status.dump();
  auto infer = c.post("/v1/models/slow:predict", R"({"instances": ["good"]})");
  EXPECT_EQ(infer.status, 503);
  EXPECT_EQ(json::parse(infer.body)["error"], "model 'slow' is loading");
  // Progress: wait until two epochs are done (no time limit but the test's own).
  while (metric_value(c, "quiver_training_epoch{model=\"slow\"}") < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(metric_value(c, "quiver_training_epochs{model=\"slow\"}"), 100000);
  EXPECT_EQ(metric_value(c, "quiver_training_active{model=\"slow\"}"), 1);
  EXPECT_GT(metric_value(c, "quiver_training_loss{model=\"slow\"}"), 0);
  EXPECT_GE(metric_value(c, "quiver_training_val_accuracy{model=\"slow\"}"), 0);
  EXPECT_EQ(metric_value(c, "quiver_model_loading{model=\"slow\"}"), 1);
  EXPECT_EQ(metric_value(c, "quiver_models_loading"), 1);
  EXPECT_TRUE(std::regex_search(
      server_.error(), std::regex("model 'slow': training epoch 1/100000: loss [0-9.]+, accuracy "
                                  "[0-9.]+, val_loss [0-9.]+, val_accuracy [0-9.]+\n")))
      << server_.error();
  EXPECT_EQ(json::parse(c.get("/v1/models/slow").body)["model_version_status"][0]["state"],
            "LOADING");
  EXPECT_EQ(server_.terminate(60000), 0) << server_.error();
  EXPECT_FALSE(fs::exists(dir_.file("slow.h5")));
  EXPECT_FALSE(fs::exists(dir_.file("slow.tokenizer.json")));
}

// "a slow-training model at start lets you observe LOADING then AVAILABLE": the model is
// LOADING while its training runs (the training gauges say so), then AVAILABLE and ready.
TEST_F(StartupTest, AModelIsLoadingUntilTrainedThenAvailable) {
  write_config(trained_entry("t", 400, 200));
  server_.set_wait_for_models(false);
  ASSERT_TRUE(server_.start(config_path_)) << server_.error();
  HttpClient c(server_.port());
  // While the training reports epochs left to run, the model is LOADING.
  bool seen_loading = false;
  for (;;) {
    const double epoch = metric_value(c, "quiver_training_epoch{model=\"t\"}");
    auto state = json::parse(c.get("/v1/models/t").body)["model_version_status"][0]["state"];
    if (epoch >= 1 && epoch < 100) {
      EXPECT_EQ(state, "LOADING");
      EXPECT_EQ(c.get("/v2/health/ready").status, 400);
      seen_loading = true;
    }
    if (state == "AVAILABLE") break;
    ASSERT_EQ(state, "LOADING");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(seen_loading) << "the training finished before it could be observed";
  EXPECT_EQ(metric_value(c, "quiver_training_epoch{model=\"t\"}"), 200);
  EXPECT_EQ(metric_value(c, "quiver_training_active{model=\"t\"}"), 0);
  EXPECT_EQ(c.get("/v2/health/ready").status, 200);
  EXPECT_EQ(c.get("/v2/models/t/ready").status, 200);
  EXPECT_EQ(metric_value(c, "quiver_models_loading"), 0);
  auto r = c.post("/v1/models/t:predict", R"({"instances": ["great food"]})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(fs::exists(dir_.file("t.h5")));
}

}  // namespace
}  // namespace quiver::testing
