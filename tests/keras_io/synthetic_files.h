// Runs make_keras_files.py once into a temporary folder (shared by the keras_io tests).
#ifndef QUIVER_TESTS_KERAS_IO_SYNTHETIC_FILES_H_
#define QUIVER_TESTS_KERAS_IO_SYNTHETIC_FILES_H_

#include <cstdlib>
#include <string>

#include "testutil.h"

namespace quiver::testutil {

class SyntheticFiles {
 public:
  SyntheticFiles() {
    std::string command =
        "/usr/bin/python3 " + source_dir() + "/tests/keras_io/make_keras_files.py " + dir_.path();
    ok_ = std::system(command.c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  bool ok_ = false;
};

// Base fixture: the files are written once per test suite.
class SyntheticFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { files_ = new SyntheticFiles(); }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(files_->ok()) << "make_keras_files.py failed"; }
  static std::string file(const std::string& name) { return files_->file(name); }

  static inline SyntheticFiles* files_ = nullptr;
};

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_KERAS_IO_SYNTHETIC_FILES_H_
