// Helpers shared by the tests.
#ifndef QUIVER_TESTS_TESTUTIL_H_
#define QUIVER_TESTS_TESTUTIL_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "quiver/status.h"

// EXPECT_STATUS(expr, kCorruption, "substring"): expr's Status has that code and its
// message contains the substring.
#define EXPECT_STATUS(expr, code_, substr)                                              \
  do {                                                                                  \
    ::quiver::Status _s = ::quiver::testutil::status_of(expr);                          \
    EXPECT_EQ(_s.code(), ::quiver::StatusCode::code_) << _s.to_string();                \
    EXPECT_NE(_s.message().find(substr), std::string::npos)                             \
        << "message: " << _s.message() << "\nexpected to contain: " << (substr);        \
  } while (0)

#define ASSERT_OK(expr)                                                                 \
  do {                                                                                  \
    ::quiver::Status _s = ::quiver::testutil::status_of(expr);                          \
    ASSERT_TRUE(_s.ok()) << _s.to_string();                                             \
  } while (0)

namespace quiver::testutil {

// The whole file, bytes as they are ("" when it cannot be read: the caller's assertions
// on the contents fail visibly).
inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Status status_of(const Status& s) { return s; }
template <typename T>
Status status_of(const Result<T>& r) { return r.status(); }

inline std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The repository root (set by CTest), the quiver binary, ../shared, the npm packages.
// quiver_add_test compiles these in; QUIVER_* environment variables override them.
#ifndef QUIVER_TEST_SOURCE_DIR
#define QUIVER_TEST_SOURCE_DIR "."
#endif
#ifndef QUIVER_TEST_BINARY
#define QUIVER_TEST_BINARY "quiver"
#endif
inline std::string source_dir() { return env_or("QUIVER_SOURCE_DIR", QUIVER_TEST_SOURCE_DIR); }
inline std::string quiver_binary() { return env_or("QUIVER_BINARY", QUIVER_TEST_BINARY); }
inline std::string shared_dir() {
#ifdef QUIVER_TEST_SHARED_DIR
  return env_or("QUIVER_SHARED_DIR", QUIVER_TEST_SHARED_DIR);
#else
  return env_or("QUIVER_SHARED_DIR", source_dir() + "/../shared");
#endif
}
inline std::string npm_dir() {
#ifdef QUIVER_TEST_NPM_DIR
  return env_or("QUIVER_NPM_DIR", QUIVER_TEST_NPM_DIR);
#else
  return env_or("QUIVER_NPM_DIR", source_dir() + "/third_party/npm/node_modules");
#endif
}

// Why a test of the third-party Keras models in ../shared skipped (README, "Tests and
// ../shared"): `GTEST_SKIP() << testutil::shared_absent(path)`. scripts/ctest-skips.py
// allows these skips only when ../shared does not exist.
inline std::string shared_absent(const std::string& path) {
  return "needs ../shared (third-party Keras models, not in the repository): " + path +
         " is absent";
}

// A fresh temporary folder for one test, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "quiver_test_XXXXXX").string();
    // A full disk makes mkdtemp fail: say so (gtest reports the exception as the test's
    // failure) rather than build a string from a null pointer.
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("TempDir: cannot create " + tmpl + ": " + std::strerror(errno));
    }
    path_ = tmpl;
  }
  ~TempDir() { std::error_code ec; std::filesystem::remove_all(path_, ec); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs a shell command for the black-box tests: exit code (128 when killed by a signal)
// and stdout (+ stderr when the command redirects it).
struct ShellRun {
  int code = -1;
  std::string out;
};

inline ShellRun shell(const std::string& cmd) {
  ShellRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

// The quiver binary run with `args` (shell words): its exit code and its stderr alone, or
// its stdout alone (the CLI tests pin both separately).
inline ShellRun quiver_stderr(const std::string& args) {
  return shell(quiver_binary() + " " + args + " 2>&1 >/dev/null");
}
inline ShellRun quiver_stdout(const std::string& args) {
  return shell(quiver_binary() + " " + args + " 2>/dev/null");
}

// Fixture files made once per build tree: `make(dir)` fills <build tree>/<name> (the
// folder of the quiver binary, never the current directory) and says whether it succeeded;
// a "done" marker records success, so later test processes reuse the files. CTest runs test
// processes in parallel: an flock makes the others wait for the first. Returns the folder,
// or "" when making failed (the next process tries again).
inline std::string make_once(const std::string& name,
                             const std::function<bool(const std::string&)>& make) {
  namespace fs = std::filesystem;
  const fs::path root = fs::absolute(fs::path(quiver_binary())).parent_path() / name;
  std::error_code ec;
  fs::create_directories(root, ec);
  const int fd = ::open((root / ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return "";
  if (::flock(fd, LOCK_EX) != 0) {
    ::close(fd);
    return "";
  }
  std::string result = root.string();
  if (!fs::exists(root / "done")) {
    if (make(result)) {
      std::ofstream(root / "done") << "";
    } else {
      result.clear();
    }
  }
  ::close(fd);  // releases the flock
  return result;
}

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_TESTUTIL_H_
