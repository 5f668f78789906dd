#include "base/file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "testutil.h"

namespace quiver::base {
namespace {

TEST(FileTest, MissingFileIsNotFound) {
  EXPECT_STATUS(read_file("/nonexistent/quiver/x.h5"), kNotFound, "/nonexistent/quiver/x.h5");
}

TEST(FileTest, AtomicWriteThenReadRoundTrips) {
  testutil::TempDir dir;
  std::string path = dir.file("a.bin");
  std::string data("a\0b\xff", 4);
  ASSERT_OK(write_file_atomic(path, data));
  auto got = read_file(path);
  ASSERT_OK(got);
  EXPECT_EQ(*got, data);
  // No temp file is left behind.
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) { (void)e; ++n; }
  EXPECT_EQ(n, 1);
}

TEST(FileTest, ReadRefusesFilesOverTheLimit) {
  testutil::TempDir dir;
  ASSERT_OK(write_file_atomic(dir.file("big"), std::string(100, 'x')));
  EXPECT_STATUS(read_file(dir.file("big"), 10), kResourceExhausted, "exceeds the limit of 10");
}

TEST(FileTest, DirnameOfBareNameIsDot) {
  EXPECT_EQ(dirname("model.h5"), ".");
  EXPECT_EQ(dirname("/a/b/model.h5"), "/a/b");
}

}  // namespace
}  // namespace quiver::base
