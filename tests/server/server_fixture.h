// Shared set-up for black-box server tests: the real models in ../shared/keras-models
// (tests skip when they are absent) and configs written into a temporary folder.
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
#include "testutil.h"

namespace quiver::testing {

inline const char* kBiasCoder = "k2.8.0_biascoder_bilstm_binary";  // tokenizer.json, T=80
inline const char* kAnushree = "k2.2.4tf_anushree_bilstm";         // T=40, 1 unit
inline const char* kCanmeng = "k2.3.1_canmeng_chinese_textcnn";    // T=50, 1 unit
inline const char* kNaufal = "k3.8.0_naufal_multilabel_lstm";      // T=50, 5 units
inline const char* kSaik = "k2.15.0_saik_spam_simplernn_keras";    // .keras, T=50

inline std::string model_dir(const std::string& name) {
  return testutil::shared_dir() + "/keras-models/" + name;
}
inline std::string model_file(const std::string& name) {
  std::string h5 = model_dir(name) + "/model.h5";
  return std::filesystem::exists(h5) ? h5 : model_dir(name) + "/model.keras";
}
inline bool have_model(const std::string& name) {
  return std::filesystem::exists(model_file(name));
}

#define QUIVER_REQUIRE_MODELS(...)                                                         \
  for (const char* m_ : {__VA_ARGS__}) {                                                   \
    if (!::quiver::testing::have_model(m_))                                                \
      GTEST_SKIP() << ::quiver::testutil::shared_absent(::quiver::testing::model_dir(m_)); \
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

// A YAML model entry for a shared model (absolute paths).
inline std::string model_entry(const std::string& name, const std::string& shared,
                               const std::string& extra = "") {
  std::string e = "  - name: " + name + "\n    model: " + model_file(shared) + "\n";
  if (std::filesystem::exists(model_dir(shared) + "/tokenizer.json")) {
    e += "    tokenizer: " + model_dir(shared) + "/tokenizer.json\n";
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
