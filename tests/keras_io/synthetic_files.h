// The files make_keras_files.py writes, shared by the keras_io tests.
//
// CTest runs every test case in its own process, so the files are generated once per
// version of the script into $TMPDIR/quiver_keras_io_files_<hash of the script> (staged in
// a private folder and renamed into place, so concurrent test processes never see a half
// written set) and reused by later processes. The tests only read them.
#ifndef QUIVER_TESTS_KERAS_IO_SYNTHETIC_FILES_H_
#define QUIVER_TESTS_KERAS_IO_SYNTHETIC_FILES_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "testutil.h"

namespace quiver::testutil {

class SyntheticFiles {
 public:
  // `script` (in tests/keras_io) may import make_keras_files.py: both are hashed.
  explicit SyntheticFiles(const std::string& script_name = "make_keras_files.py") {
    namespace fs = std::filesystem;
    std::string folder = source_dir() + "/tests/keras_io/";
    std::string script = folder + script_name;
    std::stringstream text;
    for (const std::string& f : {script, folder + "make_keras_files.py"}) {
      std::ifstream in(f);
      text << in.rdbuf();
    }
    char hash[32];
    std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(text.str()));
    std::string stem = fs::path(script_name).stem().string();
    dir_ = (fs::temp_directory_path() / ("quiver_" + stem + "_" + std::string(hash))).string();
    if (!fs::exists(dir_ + "/DONE")) generate(script);
    ok_ = fs::exists(dir_ + "/DONE");
  }
  bool ok() const { return ok_; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

 private:
  void generate(const std::string& script) {
    namespace fs = std::filesystem;
    std::string staging = dir_ + ".tmpXXXXXX";
    if (!::mkdtemp(staging.data())) return;
    std::string command = "/usr/bin/python3 " + script + " " + staging;
    std::error_code ec;
    if (std::system(command.c_str()) == 0) {
      std::ofstream(staging + "/DONE") << "ok\n";
      fs::rename(staging, dir_, ec);  // fails harmlessly if another process got there first
    }
    fs::remove_all(staging, ec);
  }

  std::string dir_;
  bool ok_ = false;
};

// Base fixture: the files are looked up (or generated) once per test suite.
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
