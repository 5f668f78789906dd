// Runs tests/text/keras_reference.py under /usr/bin/python3 (Debian's python3 with
// python3-keras-preprocessing and python3-jieba): the independent implementation the text
// golden tests compare with. One Python process per call; batch the work.
#ifndef QUIVER_TESTS_TEXT_PYTHON_REFERENCE_H_
#define QUIVER_TESTS_TEXT_PYTHON_REFERENCE_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "quiver/tokenizer.h"
#include "testutil.h"

namespace quiver::testutil {

inline constexpr const char* kPython = "/usr/bin/python3";
inline constexpr int kSkipExit = 77;

inline void write_text_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// The lines of tests/text/testdata/multilingual.txt (split at "\n" only).
inline std::vector<std::string> multilingual_lines() {
  std::string data = read_text_file(source_dir() + "/tests/text/testdata/multilingual.txt");
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = data.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(data.substr(at, nl - at));
  }
  return lines;
}

// Shell-quotes one argument.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Runs `keras_reference.py args...`; returns its exit status (kSkipExit when the Python
// modules are missing, -1 when python3 itself is missing).
inline int run_reference(const std::string& args) {
  if (::access(kPython, X_OK) != 0) return -1;
  std::string script = source_dir() + "/tests/text/keras_reference.py";
  std::string cmd = std::string(kPython) + " " + sh_quote(script) + " " + args;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Sends `request` to `command`, parses the response. Skips the test (returns false) when
// python3 or its modules are absent; fails it on any other error.
inline bool python_reference(const std::string& command, const nlohmann::json& request,
                             nlohmann::json* response, const TempDir& dir) {
  std::string req = dir.file(command + "_request.json");
  std::string resp = dir.file(command + "_response.json");
  write_text_file(req, request.dump());
  int rc = run_reference(command + " " + sh_quote(req) + " " + sh_quote(resp));
  if (rc == kSkipExit || rc == -1) return false;
  EXPECT_EQ(rc, 0) << "keras_reference.py " << command << " failed";
  if (rc != 0) return false;
  *response = nlohmann::json::parse(read_text_file(resp));
  return true;
}

// The Tokenizer(**cfg) keyword arguments of a request, as a TokenizerConfig.
inline TokenizerConfig tokenizer_config_from(const nlohmann::json& cfg) {
  TokenizerConfig c;
  if (cfg.contains("num_words") && !cfg["num_words"].is_null()) c.num_words = cfg["num_words"].get<int64_t>();
  if (cfg.contains("filters")) c.filters = cfg["filters"].get<std::string>();
  if (cfg.contains("lower")) c.lower = cfg["lower"].get<bool>();
  if (cfg.contains("split")) c.split = cfg["split"].get<std::string>();
  if (cfg.contains("char_level")) c.char_level = cfg["char_level"].get<bool>();
  if (cfg.contains("oov_token") && !cfg["oov_token"].is_null()) c.oov_token = cfg["oov_token"].get<std::string>();
  return c;
}

// "" when equal, else where two long strings first differ, with some context.
inline std::string first_difference(const std::string& got, const std::string& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  size_t from = i > 60 ? i - 60 : 0;
  return "differ at byte " + std::to_string(i) + " (sizes " + std::to_string(got.size()) + " vs " +
         std::to_string(want.size()) + ")\n  quiver: ..." + got.substr(from, 160) +
         "\n  python: ..." + want.substr(from, 160);
}

#define QUIVER_REQUIRE_PYTHON(ok)                                                \
  do {                                                                           \
    if (!(ok)) {                                                                 \
      if (::testing::Test::HasFailure()) return;                                 \
      GTEST_SKIP() << "/usr/bin/python3 with keras_preprocessing not available"; \
    }                                                                            \
  } while (0)

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_TEXT_PYTHON_REFERENCE_H_
