// Models the conformance and service tests make themselves (no ../shared needed), once
// per build tree under an flock (several test binaries may ask at once):
//   txt.h5  a text model trained by `quiver train` on a small generated CSV (binary:
//           labels neg / pos, a 2-way softmax, input length 12; its tokenizer recorded in
//           the file), and
//           txt2.h5 the same data with another seed (a different version of "the same"
//           model, for reloads);
//   two.h5  an id-input model with two outputs (output_0: 2-way softmax, output_1: 3
//           sigmoid units), written by the golden harness' Python model writer
//           (tests/golden/net_builder.py + model_writer.py, h5py), random weights, T = 8,
//           vocabulary 20, no tokenizer;
//   multi.h5 a Functional model with two inputs, written the same way: `ids` (token ids,
//           T = 8, vocabulary 20) and `features` (4 floats) -> Concatenate -> a 2-way
//           softmax.
#ifndef QUIVER_TESTS_SERVER_CONFORMANCE_MODELS_H_
#define QUIVER_TESTS_SERVER_CONFORMANCE_MODELS_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_client.h"
#include "testutil.h"

namespace quiver::testing {

inline constexpr int kTwoLength = 8;    // two.h5's input length
inline constexpr int kTwoVocab = 20;    // two.h5's vocabulary

// A small sentiment-like CSV: positive rows mention good words, negative rows bad ones.
inline std::string conformance_csv(int rows) {
  const std::vector<std::string> good = {"great", "lovely", "good", "excellent"};
  const std::vector<std::string> bad = {"awful", "terrible", "bad", "poor"};
  const std::vector<std::string> filler = {"the", "food", "was", "service", "really", "today"};
  std::string csv = "text,label\n";
  for (int r = 0; r < rows; ++r) {
    const bool pos = r % 2 == 0;
    const auto& words = pos ? good : bad;
    std::string text = filler[r % filler.size()] + " " + words[(r / 2) % words.size()];
    for (int w = 0; w < r % 14; ++w) text += " " + filler[(r * 7 + w) % filler.size()];
    csv += text + "," + (pos ? "pos" : "neg") + "\n";
  }
  return csv;
}

inline bool train_text_model(const std::string& dir, const std::string& name, int seed) {
  const std::string cmd = testutil::quiver_binary() + " train --data " + dir +
                          "/train.csv --model " + dir + "/" + name +
                          ".h5 --type cnn --epochs 2 --embed-dim 8 --filters 8 --kernel-size 3 "
                          "--maxlen 12 --seed " + std::to_string(seed) + " --quiet 2>&1";
  return testutil::shell(cmd).code == 0;
}

// Writes the net that `net_code` (Python, after `net = Net(...)`) builds to `path` with the
// golden harness' Python model writer (tf2.11 layout).
inline bool write_net_model(const std::string& path, const std::string& net_code) {
  const std::string script =
      "import sys\n"
      "sys.path.insert(0, sys.argv[1])\n"
      "from net_builder import Net\n"
      "import model_writer\n" +
      net_code +
      "layout = model_writer.LAYOUTS['tf2.11']\n"
      "net.assign_names(layout.style)\n"
      "model_writer.write_h5(sys.argv[2], net, layout)\n";
  const std::string py = path + ".py";
  write_text(py, script);
  auto run = testutil::shell("/usr/bin/python3 " + py + " " + testutil::source_dir() +
                             "/tests/golden " + path + " 2>&1");
  return run.code == 0 && std::filesystem::exists(path);
}

inline bool write_two_output_model(const std::string& path) {
  return write_net_model(
      path, "net = Net('two_heads', " + std::to_string(kTwoLength) + ", " +
                std::to_string(kTwoVocab) + ", 7)\n"
                "e = net.add('Embedding', 0, input_dim=" + std::to_string(kTwoVocab) +
                ", output_dim=4, mask_zero=False)\n"
                "g = net.add('GlobalAveragePooling1D', e)\n"
                "a = net.add('Dense', g, units=2, activation='softmax')\n"
                "b = net.add('Dense', g, units=3, activation='sigmoid')\n"
                "net.outputs = [(a, 0), (b, 0)]\n");
}

inline constexpr int kMultiFeatures = 4;  // multi.h5's float input width

inline bool write_multi_input_model(const std::string& path) {
  return write_net_model(
      path, "net = Net('multi', " + std::to_string(kTwoLength) + ", " +
                std::to_string(kTwoVocab) + ", 11)\n"
                "net.nodes[0].input_name = 'ids'\n"
                "f = net.add_input((" + std::to_string(kMultiFeatures) + ",), 'features')\n"
                "e = net.add('Embedding', 0, input_dim=" + std::to_string(kTwoVocab) +
                ", output_dim=4, mask_zero=False)\n"
                "g = net.add('GlobalAveragePooling1D', e)\n"
                "d = net.add('Dense', f, units=3, activation='tanh')\n"
                "m = net.add('Concatenate', [g, d], axis=-1)\n"
                "net.outputs = [(net.add('Dense', m, units=2, activation='softmax'), 0)]\n");
}

// The folder holding txt.h5, txt2.h5, two.h5 and multi.h5, or "" on failure.
inline std::string conformance_models_dir() {
  return testutil::make_once("conformance_models_v4", [](const std::string& dir) {
    write_text(dir + "/train.csv", conformance_csv(64));
    return train_text_model(dir, "txt", 1) && train_text_model(dir, "txt2", 2) &&
           write_two_output_model(dir + "/two.h5") && write_multi_input_model(dir + "/multi.h5");
  });
}

// `quiver predict --model multi.h5` on JSON objects (one per line, a field per input): the
// CLI's answer rows, the reference a served answer must equal bit for bit.
inline nlohmann::json predict_named_inputs_cli(const std::string& model,
                                               const nlohmann::json& rows) {
  testutil::TempDir tmp;
  std::string lines;
  for (const auto& r : rows) lines += r.dump() + "\n";
  write_text(tmp.file("in.jsonl"), lines);
  auto run = testutil::shell(testutil::quiver_binary() + " predict --model " + model + " < " +
                             tmp.file("in.jsonl") + " 2>&1");
  nlohmann::json out = nlohmann::json::array();
  if (run.code != 0) return out;
  size_t start = 0;
  for (size_t nl; (nl = run.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(nlohmann::json::parse(run.out.substr(start, nl - start), nullptr, false));
  }
  return out;
}

// A test suite sharing one `quiver serve` of txt and two (started once per suite);
// `Suite::server_yaml()` gives extra server keys. Each test gets a fresh client.
template <typename Suite>
class ConformanceSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = conformance_models_dir();
    if (models_.empty()) return;
    dir_ = std::make_unique<testutil::TempDir>();
    write_text(dir_->file("serve.yaml"),
               "server:\n  host: 127.0.0.1\n" + Suite::server_yaml() + "models:\n" +
                   "  - name: txt\n    model: " + models_ + "/txt.h5\n" +
                   "  - name: two\n    model: " + models_ + "/two.h5\n" +
                   "  - name: multi\n    model: " + models_ + "/multi.h5\n");
    server_ = std::make_unique<ServerProcess>();
    if (!server_->start(dir_->file("serve.yaml"))) server_.reset();
  }
  static void TearDownTestSuite() {
    server_.reset();
    dir_.reset();
  }
  void SetUp() override {
    ASSERT_FALSE(models_.empty()) << "making the conformance models failed";
    ASSERT_NE(server_, nullptr) << "quiver serve did not start";
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  static nlohmann::json parse(const HttpResult& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  // An error answer: the given status and exactly {"error": "<message with substring>"}.
  void expect_error(const HttpResult& r, int status, const std::string& substring = "") {
    EXPECT_EQ(r.status, status) << r.body;
    nlohmann::json j = parse(r);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j.size(), 1u) << r.body;
    ASSERT_TRUE(j.contains("error") && j["error"].is_string()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(substring), std::string::npos) << r.body;
  }

  static inline std::string models_;
  static inline std::unique_ptr<testutil::TempDir> dir_;
  static inline std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace quiver::testing

#endif  // QUIVER_TESTS_SERVER_CONFORMANCE_MODELS_H_
