// Shared set-up for black-box server tests: the suite's own models (tests/suite_models.h:
// Keras files with random weights and TensorFlow.js reference outputs, made once per build
// tree, so these tests never need ../shared) and configs written into a temporary folder.
#ifndef QUIVER_TESTS_SERVER_SERVER_FIXTURE_H_
#define QUIVER_TESTS_SERVER_SERVER_FIXTURE_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.h"
#include "suite_models.h"
#include "testutil.h"

namespace quiver::testing {

using testutil::kIdsModel;
using testutil::kKerasZipModel;
using testutil::kMultiLabelModel;
using testutil::kTextModel;
using testutil::kZhCnnModel;

inline std::string model_dir(const std::string& name) {
  return testutil::suite_models_dir() + "/" + name;
}
inline std::string model_file(const std::string& name) { return testutil::suite_model_file(name); }
inline bool have_model(const std::string& name) {
  return std::filesystem::exists(model_file(name));
}

// The suite's models are made, not found: a test fails (never skips) when they are missing.
#define QUIVER_REQUIRE_MODELS(...)                                                        \
  for (const char* m_ : {__VA_ARGS__}) {                                                  \
    ASSERT_TRUE(::quiver::testing::have_model(m_))                                        \
        << "the suite's model " << m_ << " could not be made: see make.log in "           \
        << ::quiver::testutil::suite_models_dir() << " (tests/server/make_suite_models.py)"; \
  }

// Lines of a .jsonl file, parsed.
inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// A YAML model entry for one of the suite's models (absolute paths).
inline std::string model_entry(const std::string& name, const std::string& suite,
                               const std::string& extra = "") {
  std::string e = "  - name: " + name + "\n    model: " + model_file(suite) + "\n";
  if (std::filesystem::exists(model_dir(suite) + "/tokenizer.json")) {
    e += "    tokenizer: " + model_dir(suite) + "/tokenizer.json\n";
  }
  return e + extra;
}

// Starts `quiver serve` on a config holding `models_yaml`; fails the test if it does not
// listen.
class ServerTest : public ::testing::Test {
 protected:
  bool start(const std::string& models_yaml, const std::string& server_yaml = "",
             const std::map<std::string, std::string>& env = {}) {
    config_path_ = dir_.file("serve.yaml");
    write_text(config_path_,
               "server:\n  host: 127.0.0.1\n" + server_yaml + "models:\n" + models_yaml);
    bool ok = server_.start(config_path_, {}, env);
    EXPECT_TRUE(ok) << "first line: '" << server_.first_line() << "'\nstderr:\n" << server_.error();
    if (ok) client_ = std::make_unique<HttpClient>(server_.port());
    return ok;
  }
  HttpClient& client() { return *client_; }
  nlohmann::json json_of(const HttpResult& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  testutil::TempDir dir_;
  std::string config_path_;
  ServerProcess server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace quiver::testing

#endif  // QUIVER_TESTS_SERVER_SERVER_FIXTURE_H_
