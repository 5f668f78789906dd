// Helpers for the Chinese end-to-end tests: running the quiver binary and the Python
// references (/usr/bin/python3 with jieba, keras_preprocessing, h5py) as child processes.
#ifndef QUIVER_TESTS_CHINESE_CHINESE_TEST_UTIL_H_
#define QUIVER_TESTS_CHINESE_CHINESE_TEST_UTIL_H_

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "testutil.h"

namespace quiver::chinese {

inline constexpr int kSkipExit = 77;  // a Python script's "data or module absent"

struct CmdResult {
  int exit_code = -1;
  std::string out, err;
};

using testutil::read_text_file;

// Runs `cmd` through the shell with stdout / stderr captured in files of `dir`.
inline CmdResult run(const std::string& cmd, const testutil::TempDir& dir) {
  const std::string out = dir.file("run.out"), err = dir.file("run.err");
  int rc = std::system((cmd + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text_file(out), read_text_file(err)};
}

inline std::string quiver() { return testutil::quiver_binary(); }

inline std::string script(const std::string& name) {
  return testutil::source_dir() + "/tests/chinese/" + name;
}

// One parsed JSON value per output line.
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    rows.push_back(nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false));
  }
  return rows;
}

#ifndef QUIVER_CHINESE_WORK_DIR
#define QUIVER_CHINESE_WORK_DIR "/tmp/quiver_chinese_work"
#endif

// Identity of the inputs of a preparation step: each file's path, size and mtime.
inline std::string files_key(const std::vector<std::string>& paths) {
  std::string key;
  for (const auto& p : paths) {
    std::error_code ec;
    auto size = std::filesystem::file_size(p, ec);
    auto mtime = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
    key += p + " " + std::to_string(ec ? 0 : size) + " " + std::to_string(ec ? 0 : mtime) + "\n";
  }
  return key;
}

// CTest runs every test case as its own process, so a suite's slow preparation (a Python
// reference run, a training run) would run once per case. prepare_once keeps its output in
// QUIVER_CHINESE_WORK_DIR/<name> (under the build folder): `command` (which writes into that
// folder, given as its last argument) runs only when the folder's stamp differs from
// command + `inputs_key`; the stamp is written after a successful run. An flock serialises
// test processes running in parallel. Returns the folder, the exit code (0 when reused) and
// the command's stderr.
struct Prepared {
  std::string dir;
  int exit_code = -1;
  std::string err;
};
inline Prepared prepare_once(const std::string& name, const std::string& command,
                             const std::string& inputs_key) {
  const std::string base = testutil::env_or("QUIVER_CHINESE_WORK_DIR", QUIVER_CHINESE_WORK_DIR);
  std::filesystem::create_directories(base);
  Prepared p{base + "/" + name, -1, ""};
  const int lock = ::open((p.dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  const std::string key = command + "\n" + inputs_key;
  if (read_text_file(p.dir + "/STAMP") == key) {
    p.exit_code = 0;
  } else {
    std::filesystem::remove_all(p.dir);
    std::filesystem::create_directories(p.dir);
    const std::string err = p.dir + "/prepare.err";
    int rc = std::system(("(" + command + " " + p.dir + ") >/dev/null 2>" + err).c_str());
    p.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    p.err = read_text_file(err);
    if (p.exit_code == 0) std::ofstream(p.dir + "/STAMP", std::ios::binary) << key;
  }
  if (lock >= 0) ::close(lock);  // releases the flock
  return p;
}

// Largest |a - b| over two equally shaped arrays of numbers (infinity when shapes differ).
inline double max_abs_diff(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) return std::abs(a.get<double>() - b.get<double>());
  if (!a.is_array() || !b.is_array() || a.size() != b.size()) return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, max_abs_diff(a[i], b[i]));
  return m;
}

}  // namespace quiver::chinese

#endif  // QUIVER_TESTS_CHINESE_CHINESE_TEST_UTIL_H_
