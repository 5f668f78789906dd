// Train-when-missing. The lock is an flock on "<model>.lock". Its holder removes the file
// before releasing it; a waiter that then gets the flock finds its inode no longer at the
// path and tries again, so two processes never hold locks on two different inodes. A
// lock file left by a killed process holds no flock (the kernel drops it) and is taken
// over and removed by the next run. The model file appears atomically (rename), so a
// process that sees it can load it at once.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "quiver/train.h"

namespace quiver {
namespace {

// Present (true), missing (false), or there but unreadable as a model (a symlink loop, a
// directory, a device: an error, never trained over).
Result<bool> model_present(const std::string& path) {
  Status s = base::check_regular_file(path);
  if (s.ok()) return true;
  if (s.code() == StatusCode::kNotFound) return false;
  return s;
}

// True when fd is the file now at path (same device and inode).
bool still_at_path(int fd, const std::string& path) {
  struct stat held {}, now {};
  return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
         held.st_ino == now.st_ino;
}

// Holds an exclusive flock on the file at `path` for its lifetime, then removes it.
class FileLock {
 public:
  static Result<std::unique_ptr<FileLock>> acquire(const std::string& path) {
    for (;;) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return io_error(path + ": cannot open lock file: " + std::strerror(errno));
      int rc;
      while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
      }
      if (rc != 0) {
        int e = errno;
        ::close(fd);
        return io_error(path + ": flock failed: " + std::strerror(e));
      }
      if (still_at_path(fd, path)) return std::unique_ptr<FileLock>(new FileLock(path, fd));
      ::close(fd);  // the previous holder removed it: lock the new file
    }
  }
  ~FileLock() {
    ::unlink(path_.c_str());  // while still holding the flock (see the file comment)
    ::close(fd_);             // closing releases the flock
  }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace

Status train_if_missing_locked(const std::string& model_path,
                               const std::function<Status()>& train) {
  QUIVER_ASSIGN_OR_RETURN(bool present, model_present(model_path));
  if (present) return Status();
  QUIVER_ASSIGN_OR_RETURN(auto lock, FileLock::acquire(model_path + ".lock"));
  QUIVER_ASSIGN_OR_RETURN(present, model_present(model_path));
  if (present) return Status();  // another process or thread won the race
  Status st = train();  // we won the race (or the winner failed): train
  if (!st.ok()) return st.with_context("training missing model " + model_path);
  return Status();
}

Result<std::shared_ptr<const Model>> load_or_train(const std::string& model_path,
                                                   const std::string& csv_path,
                                                   const TrainOptions& options,
                                                   const LoadOptions& load_options) {
  QUIVER_RETURN_IF_ERROR(train_if_missing_locked(model_path, [&]() -> Status {
    auto report = train_model(csv_path, model_path, options);
    return report.ok() ? Status() : report.status();
  }));
  return Model::load(model_path, load_options);
}

}  // namespace quiver
