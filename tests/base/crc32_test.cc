// base::crc32 against independent values: the CRC catalogue's check value for
// CRC-32/ISO-HDLC (crc32("123456789") = 0xCBF43926, as zlib, PNG and zip compute it) and
// Python's zlib.crc32 on other strings; continuation over split buffers; bit flips.
#include "base/crc32.h"

#include <gtest/gtest.h>

#include <string>

namespace quiver::base {
namespace {

TEST(Crc32Test, MatchesTheCatalogueCheckValue) {
  EXPECT_EQ(crc32(0, std::string_view("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32_hex(crc32(0, std::string_view("123456789"))), "cbf43926");
}

TEST(Crc32Test, MatchesZlibOnKnownStrings) {
  // /usr/bin/python3 -c "import zlib; print(hex(zlib.crc32(b'...')))"
  EXPECT_EQ(crc32(0, std::string_view("")), 0x00000000u);
  EXPECT_EQ(crc32(0, std::string_view("a")), 0xe8b7be43u);
  EXPECT_EQ(crc32(0, std::string_view("The quick brown fox jumps over the lazy dog")), 0x414fa339u);
}

TEST(Crc32Test, ContinuesAcrossSplitBuffers) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + i / 7));
  const uint32_t whole = crc32(0, data);
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    std::string_view v(data);
    EXPECT_EQ(crc32(crc32(0, v.substr(0, cut)), v.substr(cut)), whole) << cut;
  }
}

TEST(Crc32Test, EverySingleBitFlipChangesTheValue) {
  std::string data(4096, '\x5a');
  const uint32_t clean = crc32(0, data);
  for (size_t bit = 0; bit < data.size() * 8; bit += 13) {
    data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_NE(crc32(0, data), clean) << bit;
    data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
  }
}

}  // namespace
}  // namespace quiver::base
