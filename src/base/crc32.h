// CRC-32 as zlib, PNG and zip compute it (ISO-HDLC: reflected polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF; check value crc32("123456789") = 0xCBF43926).
// Used for the content checksum quiver records in the files it writes (quiver_checksum).
// Thread-safe (the tables are constants).
#ifndef QUIVER_BASE_CRC32_H_
#define QUIVER_BASE_CRC32_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace quiver::base {

// Continues `crc` (the value of the data before; 0 to start) over `size` bytes, as zlib's
// crc32(crc, data, size).
uint32_t crc32(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32(uint32_t crc, std::string_view data) {
  return crc32(crc, data.data(), data.size());
}

// "0a1b2c3d": eight lowercase hex digits.
std::string crc32_hex(uint32_t crc);

}  // namespace quiver::base

#endif  // QUIVER_BASE_CRC32_H_
