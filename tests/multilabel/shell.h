// Runs a shell command for the black-box tests: exit code and stdout (+ stderr when the
// command redirects it).
#ifndef QUIVER_TESTS_MULTILABEL_SHELL_H_
#define QUIVER_TESTS_MULTILABEL_SHELL_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace quiver::testutil {

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

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_MULTILABEL_SHELL_H_
