// Black-box tests of the admin endpoints and process controls: bearer token, load / unload
// / reload, a failed reload keeps the old version, SIGHUP config reload, file polling,
// SIGTERM drains in-flight requests and exits 0.
#include <signal.h>

#include <filesystem>
#include <thread>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

namespace fs = std::filesystem;

class AdminTest : public ServerTest {
 protected:
  // A private copy of a suite model, so the test may overwrite it.
  std::string copy_model(const std::string& shared, const std::string& as) {
    fs::copy_file(model_file(shared), dir_.file(as), fs::copy_options::overwrite_existing);
    return dir_.file(as);
  }
  std::string entry(const std::string& name, const std::string& path) {
    return "  - name: " + name + "\n    model: " + path + "\n";
  }
  const std::map<std::string, std::string> auth_ = {{"Authorization", "Bearer tok"}};
  std::string predict_body_ = nlohmann::json{{"instances", {std::vector<int>(40, 7)}}}.dump();
};

TEST_F(AdminTest, DisabledWithoutAToken) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel)));
  auto r = client().post("/admin/models/a/reload", "", auth_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(json_of(r)["error"],
            "admin endpoints are disabled: set server.admin_token or QUIVER_ADMIN_TOKEN");
}

TEST_F(AdminTest, TokenFromTheEnvironmentAndWrongTokens) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel), "", {{"QUIVER_ADMIN_TOKEN", "tok"}}));
  EXPECT_EQ(client().post("/admin/models/a/reload", "").status, 401);
  EXPECT_EQ(client().post("/admin/models/a/reload", "", {{"Authorization", "Bearer to"}}).status,
            401);
  EXPECT_EQ(client().post("/admin/models/a/reload", "", {{"Authorization", "tok"}}).status, 401);
  auto r = client().post("/admin/models/a/reload", "", auth_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["serving_version"], 2);
}

TEST_F(AdminTest, UnloadLoadAndFailedReloadKeepsTheOldVersion) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  const std::string path = copy_model(kIdsModel, "a.h5");
  ASSERT_TRUE(start(entry("a", path), "  admin_token: tok\n"));
  auto before = client().post("/v1/models/a:predict", predict_body_);
  ASSERT_EQ(before.status, 200);
  ASSERT_EQ(client().post("/admin/models/a/unload", "", auth_).status, 200);
  auto gone = client().post("/v1/models/a:predict", predict_body_);
  EXPECT_EQ(gone.status, 503);
  EXPECT_EQ(json_of(gone)["error"], "model 'a' is unloaded");
  EXPECT_EQ(json_of(client().get("/v1/models/a"))["model_version_status"][0]["state"], "END");
  ASSERT_EQ(client().post("/admin/models/a/load", "", auth_).status, 200);
  EXPECT_EQ(client().post("/v1/models/a:predict", predict_body_).body, before.body);
  write_text(path, "this is not an HDF5 file");
  auto failed = client().post("/admin/models/a/reload", "", auth_);
  EXPECT_EQ(failed.status, 400);  // README: a failed load or reload answers 400
  EXPECT_NE(json_of(failed)["error"].get<std::string>().find("model 'a'"), std::string::npos);
  auto still = client().post("/v1/models/a:predict", predict_body_);
  EXPECT_EQ(still.body, before.body);
  auto status = json_of(client().get("/v1/models/a"))["model_version_status"];
  EXPECT_EQ(status[0]["version"], "3");
  EXPECT_EQ(status[0]["state"], "UNAVAILABLE");
  EXPECT_NE(status[0]["status"]["error_message"], "");
  EXPECT_EQ(status[1]["state"], "AVAILABLE");
  EXPECT_EQ(client().post("/admin/models/zz/reload", "", auth_).status, 404);
}

TEST_F(AdminTest, SighupAndAdminReloadApplyAChangedConfig) {
  QUIVER_REQUIRE_MODELS(kIdsModel, kZhCnnModel);
  ASSERT_TRUE(start(model_entry("a", kIdsModel), "  admin_token: tok\n"));
  EXPECT_EQ(client().get("/v1/models/c").status, 404);
  write_text(config_path_, "server: {admin_token: tok}\nmodels:\n" + model_entry("a", kIdsModel) +
                               model_entry("c", kZhCnnModel));
  server_.signal(SIGHUP);
  bool added = false;
  for (int i = 0; i < 200 && !added; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    added = client().get("/v2/models/c/ready").status == 200;
  }
  EXPECT_TRUE(added) << server_.error();
  write_text(config_path_, "server: {admin_token: tok}\nmodels:\n" + model_entry("c", kZhCnnModel));
  auto r = client().post("/admin/reload", "", auth_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(client().post("/v1/models/a:predict", predict_body_).status, 503);
  write_text(config_path_, "models: [{name: c, model: x.h5, colour: red}]\n");
  auto bad = client().post("/admin/reload", "", auth_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json_of(bad)["error"], config_path_ + ": models[0].colour: unknown key 'colour'");
  EXPECT_EQ(client().get("/v2/models/c/ready").status, 200);
}

TEST_F(AdminTest, PollingReloadsAModelOnceItsFileIsCompletelyWritten) {
  QUIVER_REQUIRE_MODELS(kIdsModel, kZhCnnModel);
  const std::string path = copy_model(kIdsModel, "a.h5");
  ASSERT_TRUE(start(entry("a", path), "  poll_interval_ms: 100\n"));
  // Replace the file atomically with another model of the same input length? Use canmeng:
  // a different model, so the new version answers differently.
  fs::copy_file(model_file(kZhCnnModel), dir_.file("next.h5"));
  fs::rename(dir_.file("next.h5"), path);
  bool swapped = false;
  for (int i = 0; i < 100 && !swapped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    swapped = json_of(client().get("/v1/models/a"))["model_version_status"][0]["version"] == "2";
  }
  EXPECT_TRUE(swapped) << server_.error();
}

TEST_F(AdminTest, ASingleModelReloadUsesTheLastReadConfig) {
  QUIVER_REQUIRE_MODELS(kIdsModel);
  auto config = [&](const std::string& labels) {
    write_text(config_path_, "server: {admin_token: tok}\nmodels:\n" +
                                 model_entry("a", kIdsModel, "    labels: [" + labels + "]\n"));
  };
  auto labels_now = [&] {
    const nlohmann::json c = json_of(client().post(
        "/v1/models/a:classify",
        nlohmann::json{{"examples", {{{"input_ids", std::vector<int>(40, 7)}}}}}.dump()));
    return nlohmann::json{c["result"][0][0][0], c["result"][0][1][0]}.dump();
  };
  ASSERT_TRUE(start(model_entry("a", kIdsModel, "    labels: [n, p]\n"), "  admin_token: tok\n"));
  config("neg, pos");
  ASSERT_EQ(client().post("/admin/reload", "", auth_).status, 200);  // reads the file
  config("x, y");                                                    // not read: no reload
  auto r = client().post("/admin/models/a/reload", "", auth_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["serving_version"], 3);
  EXPECT_EQ(labels_now(), R"(["neg","pos"])");
}

TEST_F(AdminTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  ASSERT_TRUE(start(model_entry("B", kTextModel, "    max_batch_size: 1\n")));
  std::vector<std::string> sentences(8, "vaksin covid aman untuk semua orang");
  const std::string body = nlohmann::json{{"category", "B"}, {"sentences", sentences}}.dump();
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      HttpClient c(server_.port());
      auto r = c.post("/v1/classify", body);
      (r.status == 200 ? ok : failed)++;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(server_.terminate(), 0) << server_.error();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load() + ok.load(), 4);
  EXPECT_GT(ok.load(), 0);
  HttpClient after(server_.port());
  EXPECT_EQ(after.get("/v2/health/live").status, 0);  // nothing listens any more
}

}  // namespace
}  // namespace quiver::testing
