// Black-box tests of config reloads and of the admin surface: a reload is all or nothing
// (issue 14, item 5: when one entry is invalid, every other model stays on its old
// version and no group switches; the answer lists each model's error with a documented
// status), over POST /admin/reload and SIGHUP; and every endpoint's authentication in one
// table (issue 13: admin, repository index / load / unload, reload, group switch).
#include <signal.h>

#include <filesystem>
#include <thread>

#include "conformance_models.h"
#include "server_fixture.h"

namespace quiver::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ReloadTest : public ServerTest {
 protected:
  void SetUp() override {
    models_ = conformance_models_dir();
    ASSERT_FALSE(models_.empty()) << "making the conformance models failed";
    fs::copy_file(models_ + "/txt.h5", dir_.file("a.h5"));
    fs::copy_file(models_ + "/txt.h5", dir_.file("b.h5"));
  }
  // Models a and b, group g of members `members`.
  std::string models_yaml(const std::string& a_file, const std::string& b_file,
                          const std::string& members) {
    return "  - name: a\n    model: " + dir_.file(a_file) + "\n  - name: b\n    model: " +
           dir_.file(b_file) + "\ngroups:\n  - name: g\n    members: [" + members + "]\n";
  }
  void rewrite_config(const std::string& models) {
    write_text(config_path_, "server:\n  host: 127.0.0.1\n  admin_token: tok\nmodels:\n" + models);
  }
  std::string predict(const std::string& model) {
    auto r = client().post("/v1/models/" + model + ":predict", R"({"instances": ["great food"]})");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  json admin_get(const std::string& path) { return json_of(client().get(path, auth_)); }
  int64_t serving_version(const std::string& model) {
    const json all = admin_get("/admin/models");
    for (const auto& m : all["models"]) {
      if (m["name"] == model) return m["serving_version"].get<int64_t>();
    }
    return -1;
  }
  json group() {
    const json all = admin_get("/admin/groups");
    return all["groups"][0];
  }
  // Every model still serves its first version with the same answers, and g is unswitched.
  void expect_nothing_changed(const std::string& a_before, const std::string& b_before) {
    EXPECT_EQ(serving_version("a"), 1);
    EXPECT_EQ(serving_version("b"), 1);
    EXPECT_EQ(predict("a"), a_before);
    EXPECT_EQ(predict("b"), b_before);
    EXPECT_EQ(group()["members"], json({"a"}));
    EXPECT_EQ(group()["generation"], 1);
    auto c = client().post("/v1/classify", R"({"sentences": ["great food"]})");
    EXPECT_EQ(json_of(c)["served_by"], json({"a@1"})) << c.body;
  }

  std::string models_;
  const std::map<std::string, std::string> auth_ = {{"Authorization", "Bearer tok"}};
};

TEST_F(ReloadTest, AReloadWithOneInvalidEntryChangesNothing) {
  ASSERT_TRUE(start(models_yaml("a.h5", "b.h5", "a"), "  admin_token: tok\n"));
  const std::string a_before = predict("a"), b_before = predict("b");
  // a moves to another valid file, b to a broken one, g to members [a, b]: all or nothing.
  fs::copy_file(models_ + "/txt2.h5", dir_.file("a2.h5"));
  write_text(dir_.file("broken.h5"), "this is not a model file");
  rewrite_config(models_yaml("a2.h5", "broken.h5", "a, b"));
  auto r = client().post("/admin/reload", "", auth_);
  EXPECT_EQ(r.status, 400) << r.body;  // README: a failed load or reload answers 400
  json j = json_of(r);
  EXPECT_NE(j["error"].get<std::string>().find("config reload refused, nothing changed: model 'b'"),
            std::string::npos)
      << r.body;
  ASSERT_EQ(j["failures"].size(), 1u) << r.body;
  EXPECT_EQ(j["failures"][0]["model"], "b");
  EXPECT_NE(j["failures"][0]["error"].get<std::string>().find("broken.h5"), std::string::npos);
  expect_nothing_changed(a_before, b_before);
  // The failed attempt is visible in b's status; a has no trace of the abandoned version.
  auto b_status = json_of(client().get("/v1/models/b"))["model_version_status"];
  EXPECT_EQ(b_status[0]["state"], "UNAVAILABLE");
  EXPECT_EQ(b_status[1]["state"], "AVAILABLE");
  EXPECT_EQ(json_of(client().get("/v1/models/a"))["model_version_status"].size(), 1u);

  // Fixed: everything moves together.
  fs::copy_file(models_ + "/txt.h5", dir_.file("b2.h5"));
  rewrite_config(models_yaml("a2.h5", "b2.h5", "a, b"));
  auto ok = client().post("/admin/reload", "", auth_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(serving_version("a"), 2);
  EXPECT_GT(serving_version("b"), 1);
  EXPECT_NE(predict("a"), a_before);  // txt2 was trained with another seed
  EXPECT_EQ(predict("b"), b_before);
  EXPECT_EQ(group()["members"], json({"a", "b"}));
  EXPECT_EQ(group()["generation"], 2);
}

TEST_F(ReloadTest, ASighupReloadWithOneInvalidEntryChangesNothing) {
  ASSERT_TRUE(start(models_yaml("a.h5", "b.h5", "a"), "  admin_token: tok\n"));
  const std::string a_before = predict("a"), b_before = predict("b");
  fs::copy_file(models_ + "/txt2.h5", dir_.file("a2.h5"));
  rewrite_config(models_yaml("a2.h5", "missing.h5", "a, b"));
  server_.signal(SIGHUP);
  // The refusal is logged once the reload ran.
  while (server_.error().find("config reload refused: nothing changed") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(server_.error().find("quiver serve: model 'b' version 2 (file " + dir_.file("missing.h5") +
                                 ") failed to load: "),
            std::string::npos)
      << server_.error();
  expect_nothing_changed(a_before, b_before);
}

// A config reload rebuilds only the models whose entry or files changed (issue 14): the
// others keep their version and loaded instance (quiver_model_loads_total does not move,
// so neither the sandbox nor the loader ran for them).
TEST_F(ReloadTest, AReloadRebuildsOnlyWhatChanged) {
  ASSERT_TRUE(start(models_yaml("a.h5", "b.h5", "a"), "  admin_token: tok\n"));
  auto loads = [&](const std::string& m) {
    return metric_value(client(), "quiver_model_loads_total{model=\"" + m + "\"}");
  };
  auto reload = [&] {
    auto r = client().post("/admin/reload", "", auth_);
    EXPECT_EQ(r.status, 200) << r.body;
  };
  const std::string b_before = predict("b");
  rewrite_config(models_yaml("a.h5", "b.h5", "a"));  // the same entries
  reload();
  EXPECT_EQ(serving_version("a"), 1);
  EXPECT_EQ(serving_version("b"), 1);
  EXPECT_EQ(loads("a"), 1);
  EXPECT_EQ(loads("b"), 1);

  fs::copy_file(models_ + "/txt2.h5", dir_.file("a2.h5"));
  rewrite_config(models_yaml("a2.h5", "b.h5", "a"));  // a's entry changes
  reload();
  EXPECT_EQ(serving_version("a"), 2);
  EXPECT_EQ(serving_version("b"), 1);
  EXPECT_EQ(loads("a"), 2);
  EXPECT_EQ(loads("b"), 1);

  // b's file replaced by rename (as quiver's writers do), its entry unchanged.
  fs::copy_file(models_ + "/txt2.h5", dir_.file("b.new"));
  fs::rename(dir_.file("b.new"), dir_.file("b.h5"));
  reload();
  EXPECT_EQ(serving_version("a"), 2);
  EXPECT_EQ(serving_version("b"), 2);
  EXPECT_EQ(loads("a"), 2);
  EXPECT_EQ(loads("b"), 2);
  EXPECT_NE(predict("b"), b_before);  // txt2 was trained with another seed
}

// One table: every endpoint that needs the admin token, with a body it accepts. Without a
// configured token each answers 403; with one, 401 for a missing or wrong token, and the
// operation's own answer (not 401 / 403) with the right one.
TEST_F(ReloadTest, EveryAdminEndpointChecksTheToken) {
  struct Endpoint {
    std::string method, path, body;
  };
  const std::vector<Endpoint> endpoints = {
      {"GET", "/admin/models", ""},
      {"POST", "/admin/models/a/unload", ""},
      {"POST", "/admin/models/a/load", ""},
      {"POST", "/admin/models/a/reload", ""},
      {"POST", "/admin/reload", ""},
      {"GET", "/admin/groups", ""},
      {"POST", "/admin/groups/g", R"({"members": ["a", "b"]})"},
      {"POST", "/v2/repository/index", "{}"},
      {"POST", "/v2/repository/models/b/unload", "{}"},
      {"POST", "/v2/repository/models/b/load", "{}"},
  };
  for (const bool with_token : {false, true}) {
    ServerProcess server;
    const std::string config = dir_.file(with_token ? "with.yaml" : "without.yaml");
    write_text(config, std::string("server:\n  host: 127.0.0.1\n") +
                           (with_token ? "  admin_token: tok\n" : "") + "models:\n" +
                           models_yaml("a.h5", "b.h5", "a"));
    ASSERT_TRUE(server.start(config)) << server.error();
    HttpClient c(server.port());
    for (const Endpoint& e : endpoints) {
      const std::string what = e.method + " " + e.path;
      if (!with_token) {
        auto r = c.request(e.method, e.path, e.body, auth_);
        EXPECT_EQ(r.status, 403) << what << ": " << r.body;
        EXPECT_EQ(json_of(r)["error"],
                  "admin endpoints are disabled: set server.admin_token or QUIVER_ADMIN_TOKEN")
            << what;
        continue;
      }
      for (const auto& wrong : std::vector<std::map<std::string, std::string>>{
               {}, {{"Authorization", "Bearer to"}}, {{"Authorization", "tok"}},
               {{"Authorization", "Bearer tokk"}}}) {
        auto r = c.request(e.method, e.path, e.body, wrong);
        EXPECT_EQ(r.status, 401) << what << ": " << r.body;
        EXPECT_EQ(json_of(r)["error"], "missing or wrong bearer token") << what;
      }
      auto r = c.request(e.method, e.path, e.body, auth_);
      EXPECT_EQ(r.status, 200) << what << ": " << r.body;
    }
    // Nothing above changed the state without the token: every model still serves.
    EXPECT_EQ(c.get("/v2/health/ready").status, 200);
  }
}

}  // namespace
}  // namespace quiver::testing
