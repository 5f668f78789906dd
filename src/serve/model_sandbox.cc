// The validating child: vfork + setrlimit + exec of quiver itself, watched with a
// wall-clock timeout. See model_sandbox.h.
#include "serve/model_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "base/file.h"
#include "base/thread_annotations.h"

namespace quiver::serve {
namespace {

using Clock = std::chrono::steady_clock;

// The marker `quiver validate-model` prints when an allocation fails (RLIMIT_AS).
constexpr const char* kOutOfMemory = "out of memory";
constexpr size_t kMaxChildOutput = 64 << 10;
constexpr size_t kMaxRemembered = 4096;  // validated file identities kept

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizer = true;  // they reserve terabytes of address space
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizer = true;
#else
constexpr bool kSanitizer = false;
#endif
#else
constexpr bool kSanitizer = false;
#endif

// A model, architecture or tokenizer path must be a regular file before anything opens
// it: a FIFO would block the reader, /dev/zero never ends, a folder or a symlink loop
// gives misleading errors deep inside HDF5.
using FileId = std::tuple<dev_t, ino_t, off_t, int64_t>;

Result<FileId> regular_file(const std::string& path, const char* what) {
  Result<struct stat> st = base::stat_regular_file(path);  // one file-kind check (base/file.h)
  if (!st.ok()) return st.status().with_context(what);
  return FileId{st->st_dev, st->st_ino, st->st_size,
                int64_t(st->st_mtim.tv_sec) * 1000000000 + st->st_mtim.tv_nsec};
}


// Identity of everything the child read, plus the options that change what it checked.
struct ValidationKey {
  std::vector<FileId> files;
  std::vector<std::string> args;
  bool operator<(const ValidationKey& o) const {
    return std::tie(files, args) < std::tie(o.files, o.args);
  }
  bool operator==(const ValidationKey& o) const = default;
};

Result<ValidationKey> key_of(const ModelConfig& c) {
  ValidationKey k;
  QUIVER_ASSIGN_OR_RETURN(FileId model, regular_file(c.model_path, "model file"));
  k.files.push_back(model);
  for (const auto& [path, what] : {std::pair{&c.architecture_path, "architecture file"},
                                   std::pair{&c.tokenizer_path, "tokenizer file"}}) {
    if (path->empty()) continue;
    auto id = regular_file(*path, what);
    if (!id.ok() && id.status().code() == StatusCode::kNotFound && path == &c.tokenizer_path) {
      continue;  // a missing tokenizer may be fitted from train_data (servable.cc)
    }
    if (!id.ok()) return id.status();
    k.files.push_back(*id);
  }
  k.args = validate_model_args(c);
  return k;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// The child's last non-empty stderr line without the "quiver validate-model: " prefix.
std::string last_line(const std::string& out) {
  size_t end = out.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  size_t begin = out.find_last_of('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  std::string line = out.substr(begin, end + 1 - begin);
  const std::string prefix = "quiver validate-model: ";
  if (line.compare(0, prefix.size(), prefix) == 0) line = line.substr(prefix.size());
  return line;
}

Status status_for_exit(int code, const std::string& message) {
  switch (code) {
    case 2: return invalid_argument(message);
    case 3: return not_found(message);
    case 4: return corruption(message);
    case 5: return unimplemented(message);
    case 6: return io_error(message);
    case 7: return resource_exhausted(message);
    default: return internal_error(message);
  }
}

struct ChildResult {
  int wait_status = 0;
  bool timed_out = false;
  std::string output;  // stderr
};

// Everything the child needs, built before vfork (the child only makes system calls).
struct ChildPlan {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;
  rlimit as{}, cpu{}, core{0, 0}, fsize{0, 0};
  bool limit_as = true;
};

Result<ChildResult> run_child(const std::string& executable, const ChildPlan& plan,
                              int64_t timeout_ms) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return io_error(std::string("pipe: ") + std::strerror(errno));
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  const pid_t pid = ::vfork();
  if (pid == 0) {  // the child: system calls only, then exec or _exit
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (devnull >= 0) ::dup2(devnull, 0), ::dup2(devnull, 1);
    ::dup2(pipefd[1], 2);
    ::syscall(SYS_close_range, 3u, ~0u, 0u);
    if (plan.limit_as) ::setrlimit(RLIMIT_AS, &plan.as);
    ::setrlimit(RLIMIT_CPU, &plan.cpu);
    ::setrlimit(RLIMIT_CORE, &plan.core);
    ::setrlimit(RLIMIT_FSIZE, &plan.fsize);
    ::execv(executable.c_str(), plan.argv.data());
    ::_exit(127);
  }
  const int spawn_errno = errno;
  ::close(pipefd[1]);
  if (devnull >= 0) ::close(devnull);
  if (pid < 0) {
    ::close(pipefd[0]);
    return io_error(std::string("cannot start the validating process: ") + std::strerror(spawn_errno));
  }
  ChildResult r;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool pipe_open = true, exited = false;
  while (!exited) {
    if (::waitpid(pid, &r.wait_status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &r.wait_status, 0);
      r.timed_out = true;
      break;
    }
    if (pipe_open) {
      pollfd p{pipefd[0], POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) {
        char buf[4096];
        const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
        if (n > 0 && r.output.size() < kMaxChildOutput) r.output.append(buf, static_cast<size_t>(n));
        if (n == 0) pipe_open = false;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  char buf[4096];  // what the child wrote just before exiting
  for (ssize_t n; pipe_open && (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) {
    if (r.output.size() < kMaxChildOutput) r.output.append(buf, static_cast<size_t>(n));
  }
  ::close(pipefd[0]);
  return r;
}

ChildPlan plan_for(const std::string& executable, const ModelConfig& c, const ValidationConfig& v) {
  ChildPlan plan;
  plan.argv_storage.push_back(executable);
  for (auto& a : validate_model_args(c)) plan.argv_storage.push_back(std::move(a));
  for (auto& a : plan.argv_storage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  const rlim_t as = static_cast<rlim_t>(v.address_space_mb) << 20;
  plan.as = {as, as};
  plan.cpu = {static_cast<rlim_t>(v.cpu_seconds), static_cast<rlim_t>(v.cpu_seconds + 1)};
  plan.limit_as = !kSanitizer;
  return plan;
}

// What happened to the child, as a load failure naming the file.
Status judge(const ChildResult& r, const ModelConfig& c, const ValidationConfig& v) {
  const std::string what = "model file " + c.model_path + " failed validation in a sandboxed process: ";
  if (r.timed_out) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", static_cast<double>(v.timeout_ms) / 1000);
    return resource_exhausted(what + "timed out after " + secs + " s");
  }
  if (WIFSIGNALED(r.wait_status)) {
    const int sig = WTERMSIG(r.wait_status);
    if (sig == SIGXCPU) {
      return resource_exhausted(what + "exceeded " + std::to_string(v.cpu_seconds) +
                                " s of CPU time (" + signal_name(sig) + ")");
    }
    return corruption(what + "killed by " + signal_name(sig));
  }
  const int code = WIFEXITED(r.wait_status) ? WEXITSTATUS(r.wait_status) : 1;
  if (code == 0) return Status();
  const std::string line = last_line(r.output);
  if (line.find(kOutOfMemory) != std::string::npos) {
    return resource_exhausted(what + "exceeded the " + std::to_string(v.address_space_mb) +
                              " MB address-space limit");
  }
  if (code == 127) return internal_error(what + "cannot run the validator: " + line);
  // The child's own error (e.g. "Corruption: x.h5: ..."): drop the code name it printed.
  const auto colon = line.find(": ");
  std::string message = colon == std::string::npos ? line : line.substr(colon + 2);
  if (message.empty()) message = "exit code " + std::to_string(code);
  return status_for_exit(code, message);
}

class Validator {
 public:
  Validator(ValidationConfig config, std::string executable)
      : config_(config), executable_(std::move(executable)) {}

  Status validate(const ModelConfig& c) {
    QUIVER_ASSIGN_OR_RETURN(ValidationKey key, key_of(c));
    if (!config_.sandbox || executable_.empty()) return Status();
    {
      base::MutexLock lock(mu_);
      if (passed_.count(key)) return Status();
    }
    ChildPlan plan = plan_for(executable_, c, config_);
    QUIVER_ASSIGN_OR_RETURN(ChildResult r, run_child(executable_, plan, config_.timeout_ms));
    QUIVER_RETURN_IF_ERROR(judge(r, c, config_));
    QUIVER_ASSIGN_OR_RETURN(ValidationKey after, key_of(c));
    if (!(after == key)) {
      return unavailable("model file " + c.model_path +
                         " changed during validation; it is checked again on the next load");
    }
    base::MutexLock lock(mu_);
    if (passed_.size() >= kMaxRemembered) passed_.clear();  // swapped files' old identities
    passed_.insert(std::move(key));
    return Status();
  }

 private:
  const ValidationConfig config_;
  const std::string executable_;
  base::Mutex mu_;
  std::set<ValidationKey> passed_ GUARDED_BY(mu_);
};

}  // namespace

std::vector<std::string> validate_model_args(const ModelConfig& c) {
  std::vector<std::string> args = {"validate-model", "--model", c.model_path};
  if (!c.architecture_path.empty()) args.insert(args.end(), {"--architecture", c.architecture_path});
  struct stat st {};
  if (!c.tokenizer_path.empty() && ::stat(c.tokenizer_path.c_str(), &st) == 0) {
    args.insert(args.end(), {"--tokenizer", c.tokenizer_path});  // else fitted from train_data
  }
  args.insert(args.end(), {"--weights", weight_mode_name(c.weights)});
  args.insert(args.end(), {"--memory-policy", memory_policy_name(c.memory_policy),
                           "--memory-budget-bytes", std::to_string(c.memory_budget_bytes)});
  if (c.maxlen) args.insert(args.end(), {"--maxlen", std::to_string(*c.maxlen)});
  return args;
}

std::function<Status(const ModelConfig&)> model_validator(const ValidationConfig& config,
                                                          const std::string& executable) {
  auto v = std::make_shared<Validator>(config, executable);
  return [v](const ModelConfig& c) { return v->validate(c); };
}

}  // namespace quiver::serve
