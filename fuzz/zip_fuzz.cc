// libFuzzer target: arbitrary bytes as a .keras zip archive (ZipArchive: libzip in
// memory, name normalisation, the entry-count / ratio / ".." checks, chunked reads).
#include <cstddef>
#include <cstdint>
#include <string>

#include "keras_io/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto archive =
      quiver::keras_io::ZipArchive::open(std::string(reinterpret_cast<const char*>(data), size));
  if (!archive.ok()) return 0;
  for (const std::string& name : archive->names()) {
    if (!archive->contains(name)) __builtin_trap();
    (void)archive->read(name, uint64_t{1} << 26);
  }
  return 0;
}
