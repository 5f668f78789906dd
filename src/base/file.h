// Small file helpers returning Status/Result. Thread-safe (no shared state).
#ifndef QUIVER_BASE_FILE_H_
#define QUIVER_BASE_FILE_H_

#include <string>

#include "quiver/status.h"

namespace quiver::base {

// Reads a whole file. Refuses files larger than max_bytes (ResourceExhausted).
Result<std::string> read_file(const std::string& path, size_t max_bytes = size_t{1} << 32);

// Writes `data` to `path` atomically: a temp file in the same folder, fsync, rename.
// A crash mid-write leaves either the old file or the new one, never half a file.
Status write_file_atomic(const std::string& path, const std::string& data);

// The folder part of a path ("" -> ".").
std::string dirname(const std::string& path);

}  // namespace quiver::base

#endif  // QUIVER_BASE_FILE_H_
