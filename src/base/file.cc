#include "base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "base/fault.h"

namespace quiver::base {
namespace {

std::string basename_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string temp_name_for(const std::string& path) {
  std::random_device rd;
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now; the errno of a failed close is what a deferred write error looks like.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Writes the first half, then the rest: two system calls, and a fault point between them
// where a crash leaves a half-written temp file.
Status write_all(int fd, const std::string& path, const std::string& data) {
  const size_t half = data.size() / 2;
  size_t put = 0;
  while (put < data.size()) {
    const size_t limit = put < half ? half : data.size();
    ssize_t n = ::write(fd, data.data() + put, limit - put);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path + ": write failed: " + std::strerror(errno));
    put += static_cast<size_t>(n);
    if (put == half) fault_point("write " + basename_of(path) + ": half written", dirname(path));
  }
  return Status();
}

// fsync of the folder, so the rename itself survives a power cut.
void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status not_regular(const std::string& path, mode_t mode) {
  return io_error(path + ": " + kind_of(mode) + ", not a regular file");
}

// The error for an open()/stat() that failed with `e`.
Status open_error(const std::string& path, int e) {
  if (e == ELOOP) return io_error(path + ": a symlink loop (too many levels of symbolic links)");
  if (e == ENOENT) {
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      return not_found(path + ": a symbolic link to a missing file");
    }
    return not_found(path + ": no such file");
  }
  if (e == ENOTDIR) return not_found(path + ": no such file (a parent is not a directory)");
  return io_error(path + ": " + std::strerror(e));
}

}  // namespace

Result<struct stat> stat_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return open_error(path, errno);
  if (!S_ISREG(st.st_mode)) return not_regular(path, st.st_mode);
  if (::access(path.c_str(), R_OK) != 0) return io_error(path + ": " + std::strerror(errno));
  return st;
}

Status check_regular_file(const std::string& path) { return stat_regular_file(path).status(); }

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return open_error(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return not_regular(path, st.st_mode);
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return resource_exhausted(path + ": file of " + std::to_string(st.st_size) +
                              " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return io_error(path + ": read failed: " + (n == 0 ? "unexpected end" : std::strerror(e)));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

std::string dirname(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

void remove_stale_temp_files(const std::string& path) {
  const std::string dir = dirname(path);
  const std::string prefix = basename_of(path) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // "<pid>.<random>": only a pid that no longer exists marks a stale file.
    const std::string rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos) continue;
    if (rest.find_first_not_of("0123456789") != dot) continue;
    const long pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    (void)::unlink((dir + "/" + name).c_str());
  }
  ::closedir(d);
}

Status write_file_atomic(const std::string& path, const std::string& data) {
  remove_stale_temp_files(path);
  const std::string tmp = temp_name_for(path);
  const std::string point = "write " + basename_of(path) + ": ";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return io_error("cannot write " + path + ": " + std::strerror(errno));
  }
  fault_point(point + "temp file created", dirname(path));
  Status st = write_all(fd.get(), path, data);
  if (st.ok()) fault_point(point + "written");
  if (st.ok() && ::fsync(fd.get()) != 0) st = io_error(path + ": fsync failed: " + std::strerror(errno));
  if (fd.close() != 0 && st.ok()) st = io_error(path + ": close failed: " + std::strerror(errno));
  if (st.ok()) fault_point(point + "synced, before rename");
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = io_error(path + ": rename failed: " + std::strerror(errno));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  fault_point(point + "renamed");
  sync_dir(dirname(path));
  return Status();
}

Status check_output_path(const std::string& path) {
  auto fail = [&](const std::string& why) { return io_error("cannot write " + path + ": " + why); };
  if (path.empty()) return io_error("cannot write an empty path");
  const std::string dir = dirname(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return fail(errno == ENOENT ? "folder " + dir + " does not exist"
                                : "folder " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return fail(dir + " is not a folder");
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fail("it is a folder");
  // access() says yes to root on a read-only mount's 0555 folders and no for ACLs it does
  // not know: creating a file is the only honest answer.
  remove_stale_temp_files(path);
  const std::string probe = temp_name_for(path);
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail("folder " + dir + " is not writable: " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
  return Status();
}

Status check_free_space(const std::string& path, uint64_t bytes) {
  struct statvfs vfs {};
  if (::statvfs(dirname(path).c_str(), &vfs) != 0) return Status();  // unknown: let the write tell
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free_bytes >= bytes) return Status();
  return io_error("cannot write " + path + ": it needs about " + std::to_string(bytes) +
                  " bytes, " + std::to_string(free_bytes) + " are free on its file system");
}

}  // namespace quiver::base
