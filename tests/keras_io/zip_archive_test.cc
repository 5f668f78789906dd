// ZipArchive: member lookup with Windows separators, damaged entries.
#include "keras_io/zip_archive.h"

#include "base/file.h"
#include "synthetic_files.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

class ZipArchiveTest : public testutil::SyntheticFilesTest {
 protected:
  static std::string bytes(const std::string& name) {
    Result<std::string> data = base::read_file(file(name));
    return data.ok() ? *data : std::string();
  }
};

TEST_F(ZipArchiveTest, ListsAndReadsMembers) {
  Result<ZipArchive> zip = ZipArchive::open(bytes("keras3.keras"));
  ASSERT_OK(zip);
  EXPECT_EQ(zip->names(),
            (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  Result<std::string> meta = zip->read("metadata.json");
  ASSERT_OK(meta);
  EXPECT_EQ(*meta, R"({"keras_version": "3.8.0", "date_saved": "x"})");
  EXPECT_STATUS(zip->read("absent.json"), kNotFound, "'absent.json' missing");
}

TEST_F(ZipArchiveTest, BackslashNamesMatchForwardSlashes) {
  Result<ZipArchive> zip = ZipArchive::open(bytes("windows.keras"));
  ASSERT_OK(zip);
  EXPECT_TRUE(zip->contains("assets/readme.txt"));
  EXPECT_TRUE(zip->contains("assets\\readme.txt"));
  Result<std::string> text = zip->read("./assets/readme.txt");
  ASSERT_OK(text);
  EXPECT_EQ(*text, "x");
}

TEST_F(ZipArchiveTest, DamagedEntryIsCorruption) {
  std::string data = bytes("keras3.keras");
  size_t at = data.find("keras_version");  // inside metadata.json's stored bytes
  ASSERT_NE(at, std::string::npos);
  data[at] = 'K';
  Result<ZipArchive> zip = ZipArchive::open(data);
  ASSERT_OK(zip);
  EXPECT_STATUS(zip->read("metadata.json"), kCorruption, "'metadata.json': damaged zip entry");
  EXPECT_STATUS(zip->read("metadata.json", 3), kResourceExhausted, "exceeds");
}

TEST_F(ZipArchiveTest, GarbageIsCorruption) {
  EXPECT_STATUS(ZipArchive::open("PK\x03\x04 not really"), kCorruption, "not a readable zip");
}

TEST_F(ZipArchiveTest, EmptyBufferIsAnEmptyArchive) {
  Result<ZipArchive> zip = ZipArchive::open("");
  ASSERT_OK(zip);
  EXPECT_TRUE(zip->names().empty());
  EXPECT_STATUS(zip->read("config.json"), kNotFound, "missing");
}

}  // namespace
}  // namespace quiver::keras_io
