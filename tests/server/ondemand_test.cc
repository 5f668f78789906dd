// Black-box tests of load on demand (issue 18, item 2): a `load: on_demand` model is
// registered but not loaded; its first request loads it and answers what an eager server
// answers; concurrent first requests share one load; server.memory_budget_mb evicts the
// least recently used model (status READY -> UNAVAILABLE -> READY) and a reloaded model
// answers bit-identically; a request in flight is never broken by an eviction; a broken
// file answers a clear 503 without touching other models and a fixed file loads at once;
// config mistakes are refused with messages naming the key. Built into server_reload_test
// (tests/server/CMakeLists.txt): same models, no extra binary to link.
#include <filesystem>
#include <thread>

#include "conformance_models.h"
#include "suite_models.h"
#include "server_fixture.h"

namespace quiver::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPredictBody = R"({"instances": ["great food", "awful service today"]})";

class OnDemandTest : public ServerTest {
 protected:
  void SetUp() override {
    models_ = conformance_models_dir();
    ASSERT_FALSE(models_.empty()) << "making the conformance models failed";
    // Distinct files (a model's identity is its files): txt.h5 and txt2.h5 differ.
    for (const char* name : {"a", "b", "c"}) fs::copy_file(models_ + "/txt.h5", dir_.file(std::string(name) + ".h5"));
    fs::copy_file(models_ + "/txt2.h5", dir_.file("x.h5"));
  }
  std::string entry(const std::string& name, const std::string& file, const std::string& load) {
    return "  - name: " + name + "\n    model: " + dir_.file(file) + "\n    load: " + load + "\n";
  }
  HttpResult predict(const std::string& model) {
    return client().post("/v1/models/" + model + ":predict", kPredictBody);
  }
  // The model's state in the KServe repository index: READY / UNAVAILABLE / LOADING.
  std::string index_state(const std::string& model, std::string* reason = nullptr) {
    auto r = client().post("/v2/repository/index", "", auth_);
    EXPECT_EQ(r.status, 200) << r.body;
    for (const auto& m : json_of(r)) {
      if (m["name"] != model) continue;
      if (reason != nullptr) *reason = m["reason"].get<std::string>();
      return m["state"].get<std::string>();
    }
    return "(absent)";
  }
  double metric(const std::string& series) { return metric_value(client(), series); }
  // The bytes one conformance text model holds loaded (ModelInfo::memory_bytes), from a
  // server of its own.
  double model_bytes() {
    write_text(dir_.file("probe.yaml"),
               "server:\n  host: 127.0.0.1\nmodels:\n" + entry("probe", "a.h5", "eager"));
    ServerProcess probe;
    EXPECT_TRUE(probe.start(dir_.file("probe.yaml"))) << probe.error();
    HttpClient c(probe.port());
    return metric_value(c, "quiver_model_memory_bytes{model=\"probe\"}");
  }

  std::string models_;
  const std::map<std::string, std::string> auth_ = {{"Authorization", "Bearer tok"}};
  const std::string admin_ = "  admin_token: tok\n";
};

TEST_F(OnDemandTest, FirstRequestLoadsTheModelAndAnswersAsAnEagerServer) {
  ASSERT_TRUE(start(entry("eager", "a.h5", "eager") + entry("lazy", "b.h5", "on_demand") +
                        entry("lazy2", "c.h5", "on_demand"),
                    admin_));
  // Registered, not loaded: every status surface says so, and the server is ready.
  std::string reason;
  EXPECT_EQ(index_state("lazy", &reason), "UNAVAILABLE");
  EXPECT_NE(reason.find("on_demand"), std::string::npos) << reason;
  EXPECT_EQ(index_state("eager"), "READY");
  auto status = json_of(client().get("/v1/models/lazy"));
  ASSERT_EQ(status["model_version_status"].size(), 1u) << status;
  EXPECT_EQ(status["model_version_status"][0]["state"], "START");
  EXPECT_EQ(status["model_version_status"][0]["version"], "1");
  EXPECT_EQ(client().get("/v2/models/lazy/ready").status, 400);
  EXPECT_EQ(client().get("/v2/health/ready").status, 200);
  EXPECT_EQ(metric("quiver_model_memory_bytes{model=\"lazy\"}"), 0);

  auto eager = predict("eager");
  auto lazy = predict("lazy");
  ASSERT_EQ(eager.status, 200) << eager.body;
  ASSERT_EQ(lazy.status, 200) << lazy.body;
  EXPECT_EQ(lazy.body, eager.body);  // the same file: the same bits, loaded either way
  EXPECT_EQ(index_state("lazy"), "READY");
  status = json_of(client().get("/v1/models/lazy"));
  EXPECT_EQ(status["model_version_status"][0]["state"], "AVAILABLE") << status;
  EXPECT_EQ(client().get("/v2/models/lazy/ready").status, 200);
  EXPECT_EQ(metric("quiver_on_demand_loads_total"), 1);
  EXPECT_EQ(metric("quiver_cold_load_seconds_count"), 1);
  EXPECT_GT(metric("quiver_model_memory_bytes{model=\"lazy\"}"), 0);
  // KServe metadata loads too (an on-demand model answers every API).
  EXPECT_EQ(index_state("lazy2"), "UNAVAILABLE");
  EXPECT_EQ(client().get("/v2/models/lazy2").status, 200);
  EXPECT_EQ(index_state("lazy2"), "READY");
}

TEST_F(OnDemandTest, ConcurrentFirstRequestsShareOneLoad) {
  ASSERT_TRUE(start(entry("lazy", "a.h5", "on_demand"), admin_));
  constexpr int kClients = 8;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c(server_.port());
      results[i] = c.post("/v1/models/lazy:predict", kPredictBody);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, results[0].body);
  }
  EXPECT_EQ(metric("quiver_on_demand_loads_total"), 1);
  EXPECT_EQ(metric("quiver_model_loads_total{model=\"lazy\"}"), 1);
  auto status = json_of(client().get("/v1/models/lazy"));
  ASSERT_EQ(status["model_version_status"].size(), 1u) << status;  // one version, no retries
}

// Three models, a budget that holds two: the least recently used one goes.
TEST_F(OnDemandTest, TheBudgetEvictsTheLeastRecentlyUsedAndAReloadAnswersTheSame) {
  const double bytes = model_bytes();
  ASSERT_GT(bytes, 0);
  const double budget_mb = 2.5 * bytes / (1 << 20);
  ASSERT_TRUE(start(entry("a", "a.h5", "on_demand") + entry("b", "b.h5", "on_demand") +
                        entry("c", "x.h5", "on_demand"),
                    admin_ + "  memory_budget_mb: " + std::to_string(budget_mb) + "\n"));
  auto a1 = predict("a");
  ASSERT_EQ(a1.status, 200) << a1.body;
  ASSERT_EQ(predict("b").status, 200);
  ASSERT_EQ(predict("a").status, 200);  // a is now more recent than b
  EXPECT_EQ(index_state("a"), "READY");
  EXPECT_EQ(index_state("b"), "READY");
  EXPECT_EQ(index_state("c"), "UNAVAILABLE");
  auto c1 = predict("c");
  ASSERT_EQ(c1.status, 200) << c1.body;
  EXPECT_EQ(index_state("b"), "UNAVAILABLE");  // least recently used
  EXPECT_EQ(index_state("a"), "READY");
  EXPECT_EQ(index_state("c"), "READY");
  EXPECT_EQ(metric("quiver_evictions_total"), 1);
  EXPECT_EQ(metric("quiver_model_evictions_total{model=\"b\"}"), 1);
  EXPECT_LE(metric("quiver_memory_loaded_bytes"), metric("quiver_memory_budget_bytes"));
  // The evicted version is tracked to load again (START), as TF Serving tracks a version it
  // will load: the same number, since the files are unchanged.
  auto b_status = json_of(client().get("/v1/models/b"))["model_version_status"];
  ASSERT_EQ(b_status.size(), 1u) << b_status;
  EXPECT_EQ(b_status[0]["state"], "START") << b_status;
  EXPECT_EQ(b_status[0]["version"], "1") << b_status;
  // b again, pinned to its version: a is now the least recently used; b comes back as
  // version 1 and answers what it answered before.
  auto b2 = client().post("/v1/models/b/versions/1:predict", kPredictBody);
  ASSERT_EQ(b2.status, 200) << b2.body;
  EXPECT_EQ(b2.body, a1.body);  // b.h5 is a copy of a.h5
  EXPECT_EQ(index_state("b"), "READY");
  b_status = json_of(client().get("/v1/models/b"))["model_version_status"];
  ASSERT_EQ(b_status.size(), 1u) << b_status;
  EXPECT_EQ(b_status[0]["state"], "AVAILABLE") << b_status;
  EXPECT_EQ(b_status[0]["version"], "1") << b_status;
  EXPECT_EQ(index_state("a"), "UNAVAILABLE");
  EXPECT_EQ(predict("c").body, c1.body);
  auto a2 = predict("a");
  EXPECT_EQ(a2.body, a1.body);  // loaded, evicted, loaded again: the same bits
  EXPECT_EQ(metric("quiver_model_loads_total{model=\"a\"}"), 2);
}

// A budget of one model and two models answering at once: neither answer is cut short
// (a version a request holds is never evicted; the budget is restored once it is free).
TEST_F(OnDemandTest, ARequestInFlightIsNeverBrokenByAnEviction) {
  const double bytes = model_bytes();
  ASSERT_GT(bytes, 0);
  ASSERT_TRUE(start(entry("a", "a.h5", "on_demand") + entry("c", "x.h5", "on_demand"),
                    admin_ + "  memory_budget_mb: " + std::to_string(1.5 * bytes / (1 << 20)) +
                        "\n  limits: {max_instances: 4096}\n"));
  std::string big = "{\"instances\": [";
  for (int i = 0; i < 2000; ++i) big += std::string(i ? "," : "") + "\"the food was great\"";
  big += "]}";
  const std::string a_ref = client().post("/v1/models/a:predict", big).body;
  const std::string c_ref = predict("c").body;  // evicts a (nothing holds it)
  for (int round = 0; round < 3; ++round) {
    std::vector<HttpResult> a(2), c(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] { a[i] = HttpClient(server_.port()).post("/v1/models/a:predict", big); });
      threads.emplace_back([&, i] { c[i] = HttpClient(server_.port()).post("/v1/models/c:predict", kPredictBody); });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(a[i].status, 200) << a[i].body.substr(0, 300);
      EXPECT_EQ(a[i].body, a_ref);
      EXPECT_EQ(c[i].status, 200) << c[i].body;
      EXPECT_EQ(c[i].body, c_ref);
    }
  }
  EXPECT_GE(metric("quiver_evictions_total"), 1);
}

TEST_F(OnDemandTest, ABrokenFileAnswersAClearErrorAndAFixedFileLoads) {
  write_text(dir_.file("broken.h5"), "this is not a model file");
  ASSERT_TRUE(start(entry("good", "a.h5", "eager") + entry("lazy", "broken.h5", "on_demand"), admin_));
  const std::string good_before = predict("good").body;
  auto r = predict("lazy");
  EXPECT_EQ(r.status, 503) << r.body;
  const std::string error = json_of(r)["error"].get<std::string>();
  EXPECT_NE(error.find("model 'lazy' (load: on_demand) failed to load"), std::string::npos) << error;
  EXPECT_NE(error.find("broken.h5"), std::string::npos) << error;
  EXPECT_EQ(predict("lazy").status, 503);  // answered from the remembered failure
  EXPECT_EQ(predict("good").body, good_before);
  std::string reason;
  EXPECT_EQ(index_state("lazy", &reason), "UNAVAILABLE");
  EXPECT_NE(reason.find("broken.h5"), std::string::npos) << reason;
  // The file is fixed (a new identity): the next request loads it at once.
  fs::copy_file(models_ + "/txt.h5", dir_.file("broken.h5"), fs::copy_options::overwrite_existing);
  auto fixed = predict("lazy");
  EXPECT_EQ(fixed.status, 200) << fixed.body;
  EXPECT_EQ(fixed.body, good_before);
  EXPECT_EQ(index_state("lazy"), "READY");
}

// idle_unload_s unloads an unused model; a config reload (SIGHUP) of an unloaded on-demand
// model only updates its registration: nothing loads until its next request, which then
// answers from the new file.
TEST_F(OnDemandTest, IdleModelsUnloadAndAReloadOnlyReregisters) {
  ASSERT_TRUE(start(entry("lazy", "a.h5", "on_demand"), admin_ + "  idle_unload_s: 1\n"));
  const std::string a_body = predict("lazy").body;
  EXPECT_EQ(index_state("lazy"), "READY");
  for (int i = 0; i < 300 && index_state("lazy") == "READY"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sweep runs each second
  }
  EXPECT_EQ(index_state("lazy"), "UNAVAILABLE");
  EXPECT_EQ(metric("quiver_model_evictions_total{model=\"lazy\"}"), 1);
  write_text(config_path_, "server:\n  host: 127.0.0.1\n" + admin_ + "models:\n" +
                               entry("lazy", "x.h5", "on_demand"));
  auto reload = client().post("/admin/reload", "", auth_);
  EXPECT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(index_state("lazy"), "UNAVAILABLE");  // registered again, not loaded
  EXPECT_EQ(metric("quiver_model_loads_total{model=\"lazy\"}"), 1);
  auto x = predict("lazy");
  EXPECT_EQ(x.status, 200) << x.body;
  EXPECT_NE(x.body, a_body);  // txt2.h5: another model
  EXPECT_EQ(metric("quiver_model_loads_total{model=\"lazy\"}"), 2);
}

// Registration checks the file: a missing one is reported, and the server is not ready.
TEST_F(OnDemandTest, AMissingFileIsReportedAtRegistration) {
  ASSERT_TRUE(start(entry("good", "a.h5", "eager") + entry("m", "nope.h5", "on_demand"), admin_));
  EXPECT_EQ(client().get("/v2/health/ready").status, 400);
  auto r = predict("m");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("model 'm' (load: on_demand)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("nope.h5"), std::string::npos) << r.body;
  EXPECT_EQ(predict("good").status, 200);
  std::string reason;
  EXPECT_EQ(index_state("m", &reason), "UNAVAILABLE");
  EXPECT_NE(reason.find("nope.h5"), std::string::npos) << reason;
}

// Eager models whose entries set no memory_policy, under server.memory_budget_mb: the
// server plans their tables to fit instead of refusing to start. Three copies of the
// suite's BiLSTM and room for one's tables and half another's: the first by name gets fp32
// tables, the other two less (lazy or none); every answer is the bits of a server without
// a budget, and a config reload with room for all gives all their tables.
TEST_F(OnDemandTest, EagerModelsWithoutAPolicyGetTablesWithinTheBudget) {
  const std::string suite = testutil::suite_models_dir();
  ASSERT_FALSE(suite.empty()) << "making the suite models failed";
  const std::string folder = suite + "/" + testutil::kTextModel;
  for (const char* name : {"a", "b", "c"}) {
    fs::copy_file(folder + "/model.h5", dir_.file(std::string("lstm_") + name + ".h5"));
  }
  auto lstm = [&](const std::string& name) {
    return "  - name: " + name + "\n    model: " + dir_.file("lstm_" + name + ".h5") +
           "\n    tokenizer: " + folder + "/tokenizer.json\n";
  };
  const std::string models = lstm("c") + lstm("a") + lstm("b");
  write_text(dir_.file("probe.yaml"), "server:\n  host: 127.0.0.1\nmodels:\n" + lstm("a"));
  ServerProcess probe;
  ASSERT_TRUE(probe.start(dir_.file("probe.yaml"))) << probe.error();
  HttpClient pc(probe.port());
  auto part = [](HttpClient& c, const std::string& model, const std::string& name) {
    return metric_value(c, "quiver_model_memory_part_bytes{model=\"" + model +
                               "\",version=\"1\",part=\"" + name + "\"}");
  };
  const double fp32 = metric_value(pc, "quiver_model_memory_bytes{model=\"a\"}");
  const double fp32_tables = part(pc, "a", "tables");
  const double tables = fp32_tables + part(pc, "a", "trajectories");
  ASSERT_GT(fp32_tables, 0);
  const auto expected = pc.post("/v1/models/a:predict", kPredictBody);
  ASSERT_EQ(expected.status, 200) << expected.body;
  const double budget = 3 * (fp32 - tables) + 1.5 * tables;
  ASSERT_TRUE(start(models, admin_ + "  memory_budget_mb: " +
                                std::to_string(budget / (1 << 20)) + "\n"));
  EXPECT_EQ(part(client(), "a", "tables"), fp32_tables);
  double loaded = 0;
  for (const char* m : {"a", "b", "c"}) {
    if (std::string(m) != "a") {
      EXPECT_LT(part(client(), m, "tables"), fp32_tables) << m;
    }
    loaded += metric(std::string("quiver_model_memory_bytes{model=\"") + m + "\"}");
    auto r = predict(m);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, expected.body) << m;  // the same bits, whatever the plan gave it
    auto status = json_of(client().get(std::string("/v1/models/") + m));
    ASSERT_EQ(status["model_version_status"].size(), 1u) << status;  // a plan is not a version
    EXPECT_EQ(status["model_version_status"][0]["version"], "1") << status;
  }
  EXPECT_LE(loaded, budget);
  // A config reload that raises the budget plans again: every model gets its tables and
  // keeps its version and its answers.
  write_text(config_path_, "server:\n  host: 127.0.0.1\n" + admin_ + "  memory_budget_mb: " +
                               std::to_string(4 * fp32 / (1 << 20)) + "\nmodels:\n" + models);
  auto reload = client().post("/admin/reload", "", auth_);
  ASSERT_EQ(reload.status, 200) << reload.body;
  for (const char* m : {"a", "b", "c"}) {
    EXPECT_EQ(part(client(), m, "tables"), fp32_tables) << m;
    EXPECT_EQ(predict(m).body, expected.body) << m;
    EXPECT_EQ(metric(std::string("quiver_model_loads_total{model=\"") + m + "\"}"), 1) << m;
  }
  // Back under a small budget (the plan shrinks them again), then one that names no budget:
  // no plan, so each model is what its own entry asks (auto: fp32 tables this small), not
  // what the last plan gave it.
  for (const std::string& server : {"  memory_budget_mb: " + std::to_string(budget / (1 << 20)) + "\n",
                                    std::string()}) {
    write_text(config_path_,
               "server:\n  host: 127.0.0.1\n" + admin_ + server + "models:\n" + models);
    reload = client().post("/admin/reload", "", auth_);
    ASSERT_EQ(reload.status, 200) << reload.body;
    int full = 0;
    for (const char* m : {"a", "b", "c"}) {
      full += part(client(), m, "tables") == fp32_tables;
      EXPECT_EQ(predict(m).body, expected.body) << m;
    }
    EXPECT_EQ(full, server.empty() ? 3 : 1) << "budget: " << server;
  }
}

// quiver serve --memory-policy / --memory-budget-mb: the flags reach every model whose
// entry sets no memory_policy / memory_budget_mb; one that sets its own keeps it. The
// answers are the same bits.
TEST_F(OnDemandTest, ServeMemoryFlagsApplyToModelsWithoutTheirOwn) {
  const std::string suite = testutil::suite_models_dir();
  ASSERT_FALSE(suite.empty()) << "making the suite models failed";
  const std::string folder = suite + "/" + testutil::kTextModel;
  auto lstm = [&](const std::string& name, const std::string& extra) {
    return "  - name: " + name + "\n    model: " + folder + "/model.h5\n    tokenizer: " + folder +
           "/tokenizer.json\n" + extra;
  };
  write_text(dir_.file("flags.yaml"), "server:\n  host: 127.0.0.1\nmodels:\n" +
                                          lstm("plain", "") +
                                          lstm("own", "    memory_policy: fp32\n"));
  auto tables = [](HttpClient& c, const std::string& model) {
    return metric_value(c, "quiver_model_memory_part_bytes{model=\"" + model +
                               "\",version=\"1\",part=\"tables\"}");
  };
  ServerProcess fp32, none, budget;
  ASSERT_TRUE(fp32.start(dir_.file("flags.yaml"))) << fp32.error();
  ASSERT_TRUE(none.start(dir_.file("flags.yaml"), {"--memory-policy", "none"})) << none.error();
  ASSERT_TRUE(budget.start(dir_.file("flags.yaml"), {"--memory-budget-mb", "0.001"}))
      << budget.error();
  HttpClient f(fp32.port()), n(none.port()), b(budget.port());
  EXPECT_GT(tables(f, "plain"), 0);  // auto without a budget: fp32 tables
  EXPECT_EQ(tables(n, "plain"), 0);
  EXPECT_EQ(tables(b, "plain"), 0);  // auto under a budget below any table: none
  for (HttpClient* c : {&n, &b}) EXPECT_EQ(tables(*c, "own"), tables(f, "own"));  // its own
  const auto want = f.post("/v1/models/plain:predict", kPredictBody);
  ASSERT_EQ(want.status, 200) << want.body;
  EXPECT_EQ(n.post("/v1/models/plain:predict", kPredictBody).body, want.body);
  EXPECT_EQ(b.post("/v1/models/plain:predict", kPredictBody).body, want.body);
  auto usage = testutil::shell("timeout 60 " + testutil::quiver_binary() + " serve --config " +
                               dir_.file("flags.yaml") + " --port 0 --memory-policy int8 2>&1");
  EXPECT_EQ(usage.code, 2) << usage.out;
}

TEST_F(OnDemandTest, ConfigMistakesAreRefusedWithClearMessages) {
  auto serve = [&](const std::string& yaml) {
    write_text(dir_.file("bad.yaml"), yaml);
    return testutil::shell("timeout 60 " + testutil::quiver_binary() + " serve --config " +
                           dir_.file("bad.yaml") + " --port 0 2>&1");
  };
  auto mode = serve("models:\n" + entry("m", "a.h5", "lazy"));
  EXPECT_EQ(mode.code, 2) << mode.out;
  EXPECT_NE(mode.out.find("models[0].load: expected eager or on_demand, got 'lazy'"),
            std::string::npos)
      << mode.out;
  auto budget = serve("server:\n  memory_budget_mb: -1\nmodels:\n" + entry("m", "a.h5", "eager"));
  EXPECT_EQ(budget.code, 2) << budget.out;
  EXPECT_NE(budget.out.find("server.memory_budget_mb: expected a number of MiB > 0"),
            std::string::npos)
      << budget.out;
  // Eager models that do not fit the budget: the server refuses to serve (exit 7, limit).
  auto small = serve("server:\n  host: 127.0.0.1\n  memory_budget_mb: 0.001\nmodels:\n" +
                     entry("m", "a.h5", "eager"));
  EXPECT_EQ(small.code, 7) << small.out;
  EXPECT_NE(small.out.find("server.memory_budget_mb: the eager models need"), std::string::npos)
      << small.out;
  EXPECT_NE(small.out.find("but the budget is 0.001 MiB (1049 bytes)"), std::string::npos)
      << small.out;
}

}  // namespace
}  // namespace quiver::testing
