// Small file helpers returning Status/Result. Thread-safe (no shared state).
#ifndef QUIVER_BASE_FILE_H_
#define QUIVER_BASE_FILE_H_

#include <cstdint>
#include <sys/stat.h>

#include <string>

#include "quiver/status.h"

namespace quiver::base {

// Reads a whole file. Refuses files larger than max_bytes (ResourceExhausted), and
// anything but a regular file with the reason (check_regular_file's messages); never
// blocks on a FIFO.
Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t{1} << 32);

// OK when `path` is (or links to) a regular file. NotFound "PATH: no such file" when
// nothing exists there ("PATH: a symbolic link to a missing file" for a dangling link);
// otherwise IOError with the real reason: "PATH: a symlink loop (too many levels of symbolic
// links)", "PATH: a directory, not a regular file" (likewise a character device, a block
// device, a FIFO, a socket), "PATH: Permission denied".
Status check_regular_file(const std::string& path);
// The same check, also giving the file's stat (size, inode, mtime: its identity).
Result<struct stat> stat_regular_file(const std::string& path);

// Writes `data` to `path` atomically: a temp file "<path>.tmp.<pid>.<random>" in the same
// folder, fsync, rename, fsync of the folder. A crash mid-write leaves either the old file
// or the new one, never half a file; a failure (full disk, read-only folder) removes the
// temp file and returns IOError naming `path`. Temp files of `path` left by killed
// processes (their pid no longer runs) are removed first.
Status write_file_atomic(const std::string& path, const std::string& data);

// Checks, before any long work, that `path` can be written atomically: its folder exists,
// is a folder and accepts a new file (a probe file is created and removed), and `path` is
// not a folder. IOError "cannot write <path>: <reason>" otherwise.
Status check_output_path(const std::string& path);

// IOError when the file system holding `path`'s folder has fewer than `bytes` free.
Status check_free_space(const std::string& path, uint64_t bytes);

// Removes "<path>.tmp.<pid>.<anything>" files whose pid no longer runs (left by killed
// writers). Files of live processes are never touched.
void remove_stale_temp_files(const std::string& path);

// The folder part of a path ("" -> ".").
std::string dirname(const std::string& path);

}  // namespace quiver::base

#endif  // QUIVER_BASE_FILE_H_
