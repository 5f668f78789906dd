// Train-when-missing. The lock is an flock on "<model>.lock" (created if needed and left
// in place: removing it would let a late process lock a different inode). The model
// file appears atomically (rename), so a process that sees it can load it at once.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "quiver/train.h"

namespace quiver {
namespace {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Holds an exclusive flock for its lifetime.
class FileLock {
 public:
  static Result<std::unique_ptr<FileLock>> acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error(path + ": cannot open lock file: " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int e = errno;
        ::close(fd);
        return io_error(path + ": flock failed: " + std::strerror(e));
      }
    }
    return std::unique_ptr<FileLock>(new FileLock(fd));
  }
  ~FileLock() { ::close(fd_); }  // closing releases the flock

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

Result<std::shared_ptr<const Model>> load_or_train(const std::string& model_path,
                                                   const std::string& csv_path,
                                                   const TrainOptions& options,
                                                   const LoadOptions& load_options) {
  if (file_exists(model_path)) return Model::load(model_path, load_options);
  QUIVER_ASSIGN_OR_RETURN(auto lock, FileLock::acquire(model_path + ".lock"));
  if (!file_exists(model_path)) {  // we won the race (or the winner failed): train
    auto report = train_model(csv_path, model_path, options);
    if (!report.ok()) return report.status().with_context("training missing model " + model_path);
  }
  return Model::load(model_path, load_options);
}

}  // namespace quiver
