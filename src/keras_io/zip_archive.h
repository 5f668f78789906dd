// Read-only access to a zip archive held in memory (libzip), for .keras files.
//
// Member names are matched with '\' treated as '/' and a leading "./" or "/" ignored,
// because archives written on Windows may use backslashes. Thread-compatible: one
// ZipArchive must not be used by two threads at once; separate archives are independent.
#ifndef QUIVER_KERAS_IO_ZIP_ARCHIVE_H_
#define QUIVER_KERAS_IO_ZIP_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "quiver/status.h"

struct zip;

namespace quiver::keras_io {

class ZipArchive {
 public:
  // Takes the archive bytes. Corruption when they are not a consistent zip archive.
  static Result<ZipArchive> open(std::string bytes);

  // Normalised member names, in archive order.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // Reads one member fully. NotFound when absent; Corruption when damaged (CRC, size),
  // ResourceExhausted beyond max_bytes.
  Result<std::string> read(const std::string& name, uint64_t max_bytes = uint64_t{1} << 33) const;

 private:
  struct Closer {
    void operator()(zip* archive) const;
  };
  ZipArchive() = default;

  std::unique_ptr<std::string> bytes_;  // libzip reads from this buffer; address is stable
  std::unique_ptr<zip, Closer> archive_;
  std::map<std::string, uint64_t> index_;  // normalised name -> entry index
  std::vector<std::string> order_;
};

}  // namespace quiver::keras_io

#endif  // QUIVER_KERAS_IO_ZIP_ARCHIVE_H_
