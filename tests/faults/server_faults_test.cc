// Hostile model files hot-reloaded into a running `quiver serve` (issue 13): every kind of
// broken, crafted or non-regular file, through each way a load starts (admin model reload,
// admin config reload, SIGHUP). The server stays up, keeps serving the old version with
// exactly the answers taken before, logs each failure with model, file, version and reason,
// and counts it in /metrics. A crash or hang of the validating child (forced through the
// test-only fault points) becomes a clean load failure naming the signal or the timeout.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "../train/test_data.h"
#include "server_fixture.h"

namespace quiver::testing {
namespace {

namespace fs = std::filesystem;
using testutil::shell;

const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer tok"}};
const std::string kClassify =
    R"({"category": "m", "sentences": ["good nice w1", "bad poor w2", "w3 nothing"]})";

// A small quiver-trained model in `dir`/good.h5 (the suite makes its own: no ../shared).
bool train_model(const testutil::TempDir& dir, std::string* why) {
  std::vector<testutil::TextRow> rows;
  for (int i = 0; i < 60; ++i) {
    rows.push_back({std::string(i % 2 ? "good nice" : "bad poor") + " w" + std::to_string(i % 5),
                    i % 2 ? "pos" : "neg"});
  }
  testutil::write_csv(dir.file("d.csv"), rows);
  auto r = shell(testutil::quiver_binary() + " train --data " + dir.file("d.csv") + " --model " +
                 dir.file("good.h5") +
                 " --type lstm --embed-dim 8 --units 8 --epochs 2 --quiet --seed 2 2>&1");
  *why = r.out;
  return r.code == 0;
}

uint64_t counter(HttpClient& c, const std::string& name, const std::string& model) {
  return static_cast<uint64_t>(std::max(0.0, metric_value(c, name + "{model=\"" + model + "\"}")));
}
uint64_t load_failures(HttpClient& c, const std::string& model) {
  return counter(c, "quiver_model_load_failures_total", model);
}
uint64_t loads(HttpClient& c, const std::string& model) {
  return counter(c, "quiver_model_loads_total", model);
}

// Puts `make`'s result at `path` with one rename (as a deploying job would), except where
// a folder is involved (rename cannot swap a folder and a file).
void replace_with(const std::string& path, const std::function<void(const std::string&)>& make) {
  const std::string tmp = path + ".incoming";
  fs::remove_all(tmp);
  make(tmp);
  if (fs::is_directory(fs::symlink_status(tmp)) || fs::is_directory(fs::symlink_status(path))) {
    fs::remove_all(path);
  }
  fs::rename(tmp, path);
}

class ServerFaultsTest : public ServerTest {
 protected:
  void SetUp() override {
    std::string why;
    if (!train_model(dir_, &why)) GTEST_FAIL() << "training the test model failed: " << why;
    fs::create_directory(dir_.file("hostile"));
    auto g = shell("/usr/bin/python3 " + testutil::source_dir() + "/tests/faults/make_hostile.py " +
                   dir_.file("good.h5") + " " + dir_.file("hostile") + " 2>&1");
    if (g.code != 0) GTEST_SKIP() << "cannot make the hostile files (python3-h5py?): " << g.out;
    fs::create_directory(dir_.file("live"));
    fs::copy_file(dir_.file("good.h5"), dir_.file("live/m.h5"));
    // The good model's own answers as m's golden file: a reload whose outputs differ (a bit
    // flip in a weight) is refused, as a deployment with a golden file would refuse it.
    auto p = shell("printf '[0,0,1]\\n[3,1,2]\\n[2,2,2]\\n' | " + testutil::quiver_binary() +
                   " predict --input-ids --model " + dir_.file("good.h5"));
    ASSERT_EQ(p.code, 0) << p.out;
    std::istringstream lines(p.out);
    std::string golden, line;
    for (const char* ids : {"[0,0,1]", "[3,1,2]", "[2,2,2]"}) {
      std::getline(lines, line);
      golden += std::string("{\"ids\": ") + ids + ", \"expected\": " + line + "}\n";
    }
    write_text(dir_.file("live/m.golden.jsonl"), golden);
  }
  std::string model_yaml(const std::string& extra = "") {
    return "  - name: m\n    model: " + dir_.file("live/m.h5") + "\n" + extra;
  }
  // Waits until one more load of m finished, failed or not (a SIGHUP reload has no answer
  // to wait for); true when it failed.
  bool next_load_failed(uint64_t* failures, uint64_t* successes) {
    for (int i = 0; i < 1200; ++i) {
      const uint64_t f = load_failures(client(), "m"), s = loads(client(), "m");
      if (f > *failures || s > *successes) {
        const bool failed = f > *failures;
        *failures = f;
        *successes = s;
        return failed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "no load of m finished within 60 s";
    return false;
  }
  nlohmann::json results(const HttpResult& r) { return json_of(r)["results"]; }
};

TEST_F(ServerFaultsTest, HostileFilesNeverHarmTheServingVersion) {
  ASSERT_TRUE(start(model_yaml(), "  admin_token: tok\n"));
  const HttpResult reference = client().post("/v1/classify", kClassify);
  ASSERT_EQ(reference.status, 200) << reference.body;

  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> files;
  for (auto& e : fs::directory_iterator(dir_.file("hostile"))) {
    const std::string src = e.path().string();
    files.push_back({e.path().filename().string(), [src](const std::string& to) { fs::copy_file(src, to); }});
  }
  std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.first < b.first; });
  files.push_back({"symlink loop", [this](const std::string& to) {
                     fs::create_symlink(dir_.file("loop_b"), dir_.file("loop_a"));
                     fs::create_symlink(dir_.file("loop_a"), dir_.file("loop_b"));
                     fs::create_symlink(dir_.file("loop_a"), to);
                   }});
  files.push_back({"/dev/zero", [](const std::string& to) { fs::create_symlink("/dev/zero", to); }});
  files.push_back({"a FIFO", [](const std::string& to) { ASSERT_EQ(::mkfifo(to.c_str(), 0644), 0); }});
  files.push_back({"a folder", [](const std::string& to) { fs::create_directory(to); }});
  files.push_back({"a dangling symlink", [](const std::string& to) { fs::create_symlink("/nonexistent/x.h5", to); }});
  ASSERT_GE(files.size(), 20u);

  uint64_t failures = 0, successes = loads(client(), "m");
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [name, make] = files[i];
    SCOPED_TRACE(name);
    replace_with(dir_.file("live/m.h5"), make);
    // Each way a load starts, in turn.
    if (i % 3 == 0) {
      (void)client().post("/admin/models/m/reload", "", kAuth);
    } else if (i % 3 == 1) {
      (void)client().post("/admin/reload", "", kAuth);
    } else {
      server_.signal(SIGHUP);
    }
    // A bit flip may land where nothing reads it (then the golden check passes and the
    // file serves the same answers); every other file must fail to load.
    const bool failed = next_load_failed(&failures, &successes);
    if (name.rfind("bitflip_", 0) != 0) {
      EXPECT_TRUE(failed) << "a hostile file was loaded";
    }
    const HttpResult now = client().post("/v1/classify", kClassify);
    ASSERT_EQ(now.status, 200) << now.body;
    EXPECT_EQ(results(now), results(reference)) << "the serving version must answer as before";
    EXPECT_EQ(client().get("/v2/health/live").status, 200);
  }
  EXPECT_GE(failures, files.size() - 8);
  // Every failure is in the log with model, file, version and reason.
  const std::string log = server_.error();
  std::regex line("model 'm' version [0-9]+ \\(file " + dir_.file("live/m.h5") +
                  "\\) failed to load: [A-Za-z ]+: .+; version [0-9]+ keeps serving");
  const auto n = std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator());
  EXPECT_EQ(static_cast<uint64_t>(n), failures) << log;
  EXPECT_NE(log.find("a FIFO, not a regular file"), std::string::npos) << log;
  EXPECT_NE(log.find("symlink loop"), std::string::npos) << log;
  EXPECT_NE(log.find("a character device, not a regular file"), std::string::npos) << log;
  // The good file again: the next version serves the same answers.
  replace_with(dir_.file("live/m.h5"), [this](const std::string& to) { fs::copy_file(dir_.file("good.h5"), to); });
  ASSERT_EQ(client().post("/admin/models/m/reload", "", kAuth).status, 200);
  const auto after = json_of(client().post("/v1/classify", kClassify));
  EXPECT_EQ(after["results"], json_of(reference)["results"]);
  EXPECT_EQ(server_.terminate(), 0);
}

// The validating child crashes (SIGSEGV forced at a test-only fault point for one file):
// the load fails naming the file and the signal; the other model keeps serving.
TEST_F(ServerFaultsTest, CrashOfTheValidatorIsACleanLoadFailure) {
  fs::copy_file(dir_.file("good.h5"), dir_.file("live/crash-me.h5"));
  ASSERT_TRUE(start(model_yaml(), "  admin_token: tok\n",
                    {{"QUIVER_FAULT_KILL_AT", "validate-model: loaded " + dir_.file("live/crash-me.h5")},
                     {"QUIVER_FAULT_SIGNAL", "11"}}));
  const HttpResult reference = client().post("/v1/classify", kClassify);
  ASSERT_EQ(reference.status, 200);
  write_text(config_path_, "server:\n  host: 127.0.0.1\n  admin_token: tok\nmodels:\n" + model_yaml() +
                               "  - name: c\n    model: " + dir_.file("live/crash-me.h5") + "\n");
  auto r = client().post("/admin/reload", "", kAuth);
  EXPECT_GE(r.status, 400);
  EXPECT_NE(r.body.find("model file " + dir_.file("live/crash-me.h5") +
                        " failed validation in a sandboxed process: killed by SIGSEGV"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(results(client().post("/v1/classify", kClassify)), results(reference));
  EXPECT_EQ(client().get("/v2/health/live").status, 200);
}

// A validating child that hangs is killed at the wall-clock timeout.
TEST_F(ServerFaultsTest, HangingValidatorTimesOut) {
  fs::copy_file(dir_.file("good.h5"), dir_.file("live/hang.h5"));
  ASSERT_TRUE(start(model_yaml(), "  admin_token: tok\n  validate_limits:\n    timeout_ms: 1500\n",
                    {{"QUIVER_FAULT_KILL_AT", "validate-model: loaded " + dir_.file("live/hang.h5")},
                     {"QUIVER_FAULT_SIGNAL", "19"}}));  // SIGSTOP
  write_text(config_path_, "server:\n  host: 127.0.0.1\n  admin_token: tok\n  validate_limits:\n"
                           "    timeout_ms: 1500\nmodels:\n" + model_yaml() +
                               "  - name: h\n    model: " + dir_.file("live/hang.h5") + "\n");
  auto r = client().post("/admin/reload", "", kAuth);
  EXPECT_GE(r.status, 400);
  EXPECT_NE(r.body.find("failed validation in a sandboxed process: timed out after 1.5 s"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(client().post("/v1/classify", kClassify).status, 200);
}

// The address-space limit: a child whose allocations pass the limit (forced: the
// test-only QUIVER_FAULT_SIGNAL=0 allocates until refused) is reported with the limit.
TEST_F(ServerFaultsTest, AddressSpaceLimitIsReported) {
  fs::copy_file(dir_.file("good.h5"), dir_.file("live/greedy.h5"));
  ASSERT_TRUE(start("  - name: g\n    model: " + dir_.file("live/greedy.h5") + "\n" + model_yaml(),
                    "  admin_token: tok\n  validate_limits:\n    address_space_mb: 512\n",
                    {{"QUIVER_FAULT_KILL_AT", "validate-model: loaded " + dir_.file("live/greedy.h5")},
                     {"QUIVER_FAULT_SIGNAL", "0"}}));
  auto s = client().get("/v1/models/g");
  EXPECT_NE(s.body.find("model file " + dir_.file("live/greedy.h5") +
                        " failed validation in a sandboxed process: exceeded the 512 MB "
                        "address-space limit"),
            std::string::npos)
      << s.body;
  EXPECT_EQ(client().post("/v1/classify", kClassify).status, 200);
}

// With validate_models: off the server parses files itself, but non-regular files are
// still refused before anything opens them (a FIFO would block the loader forever).
TEST_F(ServerFaultsTest, WithoutTheSandboxAFifoIsStillRefused) {
  ASSERT_TRUE(start(model_yaml(), "  admin_token: tok\n  validate_models: off\n"));
  replace_with(dir_.file("live/m.h5"), [](const std::string& to) { ::mkfifo(to.c_str(), 0644); });
  auto r = client().post("/admin/models/m/reload", "", kAuth);
  EXPECT_GE(r.status, 400);
  EXPECT_NE(r.body.find("a FIFO, not a regular file"), std::string::npos) << r.body;
  EXPECT_EQ(client().post("/v1/classify", kClassify).status, 200);
}

// Polling (poll_interval_ms): hostile files a deploying job drops in place are noticed by
// the poller and refused like any other load (sandboxed validation, then the checks in
// process); the old version keeps serving throughout, and the good file loads again. (A
// symlink loop or a dangling link cannot be stat'ed: the poller sees no new file, and the
// old version serves on.)
TEST_F(ServerFaultsTest, HostileFilesArrivingThroughPollingAreRefused) {
  ASSERT_TRUE(start(model_yaml(), "  admin_token: tok\n  poll_interval_ms: 100\n"));
  const HttpResult reference = client().post("/v1/classify", kClassify);
  ASSERT_EQ(reference.status, 200) << reference.body;
  uint64_t failures = load_failures(client(), "m"), successes = loads(client(), "m");
  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> files;
  for (const char* name : {"deep_nesting.h5", "huge_length.h5", "huge_units.h5", "truncated.h5",
                           "weight_bitflip.h5", "zip_bomb.keras", "dotdot.keras", "empty.h5"}) {
    const std::string src = dir_.file("hostile/" + std::string(name));
    ASSERT_TRUE(fs::exists(src)) << src;
    files.push_back({name, [src](const std::string& to) { fs::copy_file(src, to); }});
  }
  files.push_back({"a FIFO", [](const std::string& to) { ASSERT_EQ(::mkfifo(to.c_str(), 0644), 0); }});
  files.push_back({"/dev/zero", [](const std::string& to) { fs::create_symlink("/dev/zero", to); }});
  for (const auto& [name, make] : files) {
    SCOPED_TRACE(name);
    replace_with(dir_.file("live/m.h5"), make);
    EXPECT_TRUE(next_load_failed(&failures, &successes)) << "a hostile file was loaded";
    const HttpResult now = client().post("/v1/classify", kClassify);
    ASSERT_EQ(now.status, 200) << now.body;
    EXPECT_EQ(results(now), results(reference)) << "the serving version must answer as before";
    EXPECT_EQ(client().get("/v2/health/live").status, 200);
  }
  const std::string log = server_.error();
  EXPECT_NE(log.find("reloading model 'm': " + dir_.file("live/m.h5") + " changed"), std::string::npos)
      << log;
  EXPECT_NE(log.find("does not match quiver_checksum"), std::string::npos) << log;
  replace_with(dir_.file("live/m.h5"), [this](const std::string& to) { fs::copy_file(dir_.file("good.h5"), to); });
  EXPECT_FALSE(next_load_failed(&failures, &successes)) << "the good file must load again";
  EXPECT_EQ(results(client().post("/v1/classify", kClassify)), results(reference));
  EXPECT_EQ(server_.terminate(), 0);
}

// The CPU-time limit: a validating child that computes forever (forced: the test-only
// QUIVER_FAULT_SIGNAL=spin) is stopped by RLIMIT_CPU, and the load fails with the limit.
TEST_F(ServerFaultsTest, CpuTimeLimitIsReported) {
  fs::copy_file(dir_.file("good.h5"), dir_.file("live/spin.h5"));
  ASSERT_TRUE(start("  - name: s\n    model: " + dir_.file("live/spin.h5") + "\n" + model_yaml(),
                    "  admin_token: tok\n  validate_limits:\n    cpu_seconds: 1\n"
                    "    timeout_ms: 120000\n",
                    {{"QUIVER_FAULT_KILL_AT", "validate-model: loaded " + dir_.file("live/spin.h5")},
                     {"QUIVER_FAULT_SIGNAL", "spin"}}));
  auto s = client().get("/v1/models/s");
  EXPECT_NE(s.body.find("model file " + dir_.file("live/spin.h5") +
                        " failed validation in a sandboxed process: exceeded 1 s of CPU time "
                        "(SIGXCPU)"),
            std::string::npos)
      << s.body;
  EXPECT_EQ(client().post("/v1/classify", kClassify).status, 200);
}

}  // namespace
}  // namespace quiver::testing
