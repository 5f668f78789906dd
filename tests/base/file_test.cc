#include "base/file.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(FileTest, OutputPathInMissingFolderIsRefusedNamingTheFolder) {
  EXPECT_STATUS(check_output_path("/nonexistent/quiver/x.h5"), kIOError,
                "cannot write /nonexistent/quiver/x.h5: folder /nonexistent/quiver does not exist");
}

TEST(FileTest, OutputPathThatIsAFolderIsRefused) {
  testutil::TempDir dir;
  std::filesystem::create_directory(dir.file("m.h5"));
  EXPECT_STATUS(check_output_path(dir.file("m.h5")), kIOError, "it is a folder");
  EXPECT_STATUS(check_output_path(dir.file("m.h5") + "/../m.h5/x/y.h5"), kIOError, "does not exist");
}

TEST(FileTest, WritableOutputPathPassesAndLeavesNothingBehind) {
  testutil::TempDir dir;
  ASSERT_OK(check_output_path(dir.file("m.h5")));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(FileTest, FreeSpaceCheckNamesTheNeededBytes) {
  testutil::TempDir dir;
  ASSERT_OK(check_free_space(dir.file("m.h5"), 1));
  EXPECT_STATUS(check_free_space(dir.file("m.h5"), uint64_t{1} << 62), kIOError,
                "it needs about 4611686018427387904 bytes");
}

// A temp file whose writer is dead is removed by the next write of that path; one of a
// live process (this one's parent, say) and other files' temps are left alone.
TEST(FileTest, AtomicWriteRemovesTempFilesOfDeadWritersOnly) {
  testutil::TempDir dir;
  const pid_t dead = [] {
    pid_t p = ::fork();
    if (p == 0) ::_exit(0);
    ::waitpid(p, nullptr, 0);
    return p;
  }();
  const std::string stale = dir.file("m.h5.tmp." + std::to_string(dead) + ".123");
  const std::string live = dir.file("m.h5.tmp." + std::to_string(::getppid()) + ".456");
  const std::string other = dir.file("n.h5.tmp." + std::to_string(dead) + ".789");
  for (const auto& p : {stale, live, other}) ASSERT_OK(write_file_atomic(p, "x"));
  ASSERT_OK(write_file_atomic(dir.file("m.h5"), "model"));
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other));
}

TEST(FileTest, FailedAtomicWriteNamesTheTargetAndLeavesNoTempFile) {
  testutil::TempDir dir;
  std::filesystem::create_directory(dir.file("m.h5"));  // rename over a folder fails
  Status st = write_file_atomic(dir.file("m.h5"), "data");
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find(dir.file("m.h5") + ": rename failed"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find(".tmp."), std::string::npos) << st.message();
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) { (void)e; ++n; }
  EXPECT_EQ(n, 1);
}

TEST(FileTest, DirnameOfBareNameIsDot) {
  EXPECT_EQ(dirname("model.h5"), ".");
  EXPECT_EQ(dirname("/a/b/model.h5"), "/a/b");
}

// Only a path where nothing exists is "no such file"; everything else says what it is.
TEST(FileTest, UnreadablePathsNameTheRealReason) {
  testutil::TempDir dir;
  ASSERT_EQ(::symlink("loop", dir.file("loop").c_str()), 0);
  ASSERT_EQ(::symlink("missing", dir.file("dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0644), 0);  // read_file must not block on it
  ASSERT_OK(write_file_atomic(dir.file("plain"), "x"));
  ASSERT_EQ(::symlink("plain", dir.file("link").c_str()), 0);
  for (auto check : {+[](const std::string& p) { return read_file(p).status(); },
                     +[](const std::string& p) { return check_regular_file(p); }}) {
    EXPECT_STATUS(check(dir.file("loop")), kIOError,
                  "loop: a symlink loop (too many levels of symbolic links)");
    EXPECT_STATUS(check(dir.file("dangling")), kNotFound,
                  "dangling: a symbolic link to a missing file");
    EXPECT_STATUS(check(dir.file("fifo")), kIOError, "fifo: a FIFO, not a regular file");
    EXPECT_STATUS(check("/dev/zero"), kIOError, "/dev/zero: a character device, not a regular file");
    EXPECT_STATUS(check(dir.path()), kIOError, "a directory, not a regular file");
    EXPECT_STATUS(check(dir.file("none")), kNotFound, "none: no such file");
    EXPECT_STATUS(check(dir.file("plain/x")), kNotFound, "a parent is not a directory");
    ASSERT_OK(check(dir.file("link")));
  }
}

}  // namespace
}  // namespace quiver::base
