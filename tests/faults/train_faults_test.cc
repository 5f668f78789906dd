// Fault injection against the real `quiver train` / `train-multilabel` / `fit-tokenizer`:
// kill -9 at every step of writing a model and its tokenizer, a disk that fills during
// each write, and output folders that are missing or read-only. What must hold after
// every fault: the model on disk is a whole model (the old one or the new one), a
// tokenizer beside it from another run is refused rather than used, failures are one line
// with exit code 6 naming the output path, and no temp file outlives the next run.
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>

#include "../train/test_data.h"
#include "testutil.h"

namespace quiver {
namespace {

namespace fs = std::filesystem;
using testutil::shell;
using testutil::ShellRun;
using testutil::TempDir;

const char* kTiny = " --type lstm --embed-dim 4 --units 4 --epochs 1 --batch-size 16 --quiet";

ShellRun quiver(const std::string& args, const std::string& env = "") {
  return shell(env + " " + testutil::quiver_binary() + " " + args + " 2>&1");
}

// Two training sets with different words, so their tokenizers differ.
void write_data(const std::string& path, const char* pos, const char* neg) {
  std::vector<testutil::TextRow> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back({std::string(i % 2 ? pos : neg) + " w" + std::to_string(i % 5), i % 2 ? "p" : "n"});
  }
  testutil::write_csv(path, rows);
}

// The old run and the new run differ in data and seed.
std::string train_cmd(const std::string& data, const std::string& model) {
  const bool is_new = data.find("new.csv") != std::string::npos;
  return "train --data " + data + " --model " + model + kTiny + (is_new ? " --seed 6" : " --seed 5");
}

// The model's answers to fixed id rows (identifies which run wrote it), "" if unreadable.
std::string answers(const std::string& model) {
  ShellRun r = shell("printf '[0,1,2]\\n[3,1,2]\\n' | " + testutil::quiver_binary() +
                     " predict --input-ids --model " + model + " 2>&1");
  return r.code == 0 ? r.out : "";
}

// Killed by SIGKILL: sh reports 128 + 9, or testutil::shell 128 when sh exec'ed quiver.
bool killed(const ShellRun& r) { return r.code == 137 || r.code == 128; }

std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.find(".tmp.") != std::string::npos || n.find(".lock") != std::string::npos) out.push_back(n);
  }
  return out;
}

std::vector<std::string> fault_points(const std::string& cmd) {
  TempDir dir;
  ShellRun r = quiver(cmd, "QUIVER_FAULT_LIST=1");
  std::vector<std::string> points;
  std::regex line("fault point [0-9]+: ([^\\n]*)");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it) {
    points.push_back((*it)[1]);
  }
  return points;
}

class TrainFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_data(dir_.file("old.csv"), "good nice", "bad poor");
    write_data(dir_.file("new.csv"), "great lovely", "awful horrid");  // 3 tokens, as old
    // Reference pairs: what a complete old run and a complete new run write.
    ASSERT_EQ(quiver(train_cmd(dir_.file("old.csv"), dir_.file("ref_old.h5"))).code, 0);
    ASSERT_EQ(quiver(train_cmd(dir_.file("new.csv"), dir_.file("ref_new.h5"))).code, 0);
    old_answers_ = answers(dir_.file("ref_old.h5"));
    new_answers_ = answers(dir_.file("ref_new.h5"));
    old_tok_ = testutil::read_text_file(dir_.file("ref_old.tokenizer.json"));
    new_tok_ = testutil::read_text_file(dir_.file("ref_new.tokenizer.json"));
    ASSERT_NE(old_answers_, "");
    ASSERT_NE(old_answers_, new_answers_);
    ASSERT_NE(old_tok_, new_tok_);
  }
  // A folder holding the old pair as m.h5 + m.tokenizer.json.
  std::string old_pair(const std::string& name) {
    const std::string d = dir_.file(name);
    fs::create_directory(d);
    fs::copy_file(dir_.file("ref_old.h5"), d + "/m.h5");
    fs::copy_file(dir_.file("ref_old.tokenizer.json"), d + "/m.tokenizer.json");
    return d;
  }
  // Whatever is on disk in `d` is consistent: a whole model (old or new) and a tokenizer
  // that either belongs to it or is refused by predict.
  void expect_consistent(const std::string& d, const std::string& point) {
    SCOPED_TRACE("after a fault at: " + point);
    const std::string got = answers(d + "/m.h5");
    ASSERT_TRUE(got == old_answers_ || got == new_answers_) << "model is neither run's: " << got;
    const bool model_new = got == new_answers_;
    const std::string tok = testutil::read_text_file(d + "/m.tokenizer.json");
    ASSERT_TRUE(tok == old_tok_ || tok == new_tok_) << "tokenizer is neither run's";
    ShellRun p = shell("echo 'great good w1' | " + testutil::quiver_binary() + " predict --model " + d +
                       "/m.h5 --tokenizer " + d + "/m.tokenizer.json 2>&1");
    if ((tok == new_tok_) == model_new) {
      EXPECT_EQ(p.code, 0) << p.out;
    } else {
      EXPECT_EQ(p.code, 4) << p.out;
      EXPECT_NE(p.out.find("m.tokenizer.json does not belong to " + d + "/m.h5"), std::string::npos)
          << p.out;
    }
  }

  TempDir dir_;
  std::string old_answers_, new_answers_, old_tok_, new_tok_;
};

// kill -9 at every fault point of a run that replaces an old model: before and after each
// temp file, half-written, before and after each rename.
TEST_F(TrainFaultsTest, KillAtEveryPointLeavesAConsistentPair) {
  const std::vector<std::string> points = fault_points(train_cmd(dir_.file("new.csv"), dir_.file("x.h5")));
  ASSERT_GE(points.size(), 10u);
  std::set<std::string> names(points.begin(), points.end());
  EXPECT_TRUE(names.count("write x.h5: renamed")) << "the point between the two renames";
  EXPECT_TRUE(names.count("write x.tokenizer.json: half written"));
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string d = old_pair("kill" + std::to_string(i));
    ShellRun r = quiver(train_cmd(dir_.file("new.csv"), d + "/m.h5"),
                        "QUIVER_FAULT_KILL_AT=" + std::to_string(i + 1));
    EXPECT_TRUE(killed(r)) << points[i] << ": " << r.out;
    expect_consistent(d, points[i]);
    // The next run succeeds and leaves no temp or lock file, the killed run's included.
    ShellRun again = quiver(train_cmd(dir_.file("new.csv"), d + "/m.h5"));
    EXPECT_EQ(again.code, 0) << again.out;
    EXPECT_EQ(temp_files(d), std::vector<std::string>()) << points[i];
    EXPECT_EQ(answers(d + "/m.h5"), new_answers_);
  }
}

TEST_F(TrainFaultsTest, KillBetweenTheRenamesIsRefusedNotAnsweredWrongly) {
  const std::string d = old_pair("between");
  ShellRun r = quiver(train_cmd(dir_.file("new.csv"), d + "/m.h5"),
                      "QUIVER_FAULT_KILL_AT='write m.h5: renamed'");
  ASSERT_TRUE(killed(r)) << r.out;
  EXPECT_EQ(answers(d + "/m.h5"), new_answers_);
  EXPECT_EQ(testutil::read_text_file(d + "/m.tokenizer.json"), old_tok_);
  expect_consistent(d, "write m.h5: renamed");
}

// The disk fills at each step of each write: one line, exit 6, naming the output (not a
// temp name), no temp file, and the old pair untouched.
TEST_F(TrainFaultsTest, FullDiskDuringEachWriteFailsCleanly) {
  const std::string mnt = dir_.file("tmpfs");
  fs::create_directory(mnt);
  if (::mount("quiver-test", mnt.c_str(), "tmpfs", 0, "size=256k") != 0) {
    GTEST_SKIP() << "mount -t tmpfs not permitted here (" << std::strerror(errno)
                 << "): the full-disk faults need it (root in CI)";
  }
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  for (const char* when : {"temp file created", "half written"}) {
    for (const char* file : {"m.h5", "m.tokenizer.json"}) {
      const std::string point = std::string("write ") + file + ": " + when;
      SCOPED_TRACE(point);
      for (auto& e : fs::directory_iterator(mnt)) fs::remove_all(e.path());
      fs::copy_file(dir_.file("ref_old.h5"), mnt + "/m.h5");
      fs::copy_file(dir_.file("ref_old.tokenizer.json"), mnt + "/m.tokenizer.json");
      ShellRun r = quiver(train_cmd(dir_.file("new.csv"), mnt + "/m.h5"), "QUIVER_FAULT_FILL_AT='" + point + "'");
      // tmpfs allocates whole pages: the second half of a tokenizer smaller than a page
      // lands in the page its first half already holds, so that write succeeds.
      const bool fits = std::string(when) == "half written" && std::string(file) == "m.tokenizer.json" &&
                        fs::file_size(dir_.file("ref_new.tokenizer.json")) < 4096;
      if (fits) {
        EXPECT_EQ(r.code, 0) << r.out;
      } else {
        EXPECT_EQ(r.code, 6) << r.out;
        EXPECT_NE(r.out.find(mnt + "/" + file + ": write failed: No space left on device"),
                  std::string::npos)
            << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
      }
      EXPECT_EQ(r.out.find(".tmp."), std::string::npos) << r.out;
      EXPECT_EQ(temp_files(mnt), std::vector<std::string>());
      fs::remove(mnt + "/.quiver-fault-fill");
      expect_consistent(mnt, point);
    }
  }
  // A disk too small for the model is refused before training starts.
  for (auto& e : fs::directory_iterator(mnt)) fs::remove_all(e.path());
  {
    std::ofstream fill(mnt + "/filler", std::ios::binary);
    fill << std::string(250 << 10, 'x');
  }
  ShellRun r = quiver(train_cmd(dir_.file("new.csv"), mnt + "/m.h5"));
  EXPECT_EQ(r.code, 6) << r.out;
  EXPECT_NE(r.out.find("cannot write " + mnt + "/m.h5: it needs about"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(mnt + "/m.h5"));
}

// train-multilabel trains under a staging name and publishes the model with its thresholds:
// a kill at any point leaves no model or a model that has them, and the next run leaves no
// staging, merged-CSV or temp file behind.
TEST_F(TrainFaultsTest, MultilabelKillAtEveryPointNeverLeavesAModelWithoutThresholds) {
  const std::string d = dir_.file("ml");
  fs::create_directory(d);
  // Category b labels the same sentences as old.csv (a) differently.
  std::vector<testutil::TextRow> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back({std::string(i % 2 ? "good nice" : "bad poor") + " w" + std::to_string(i % 5),
                    i % 5 < 2 ? "p" : "n"});
  }
  testutil::write_csv(dir_.file("b.csv"), rows);
  const std::string cmd = "train-multilabel --category a=" + dir_.file("old.csv") + " --category b=" +
                          dir_.file("b.csv") + " --model " + d + "/m.h5" + kTiny + " --seed 5";
  const std::vector<std::string> points = fault_points(cmd);
  ASSERT_GE(points.size(), 12u);
  auto has_thresholds = [](const std::string& model) {
    return shell("/usr/bin/python3 -c \"import h5py, sys; sys.exit(0 if 'quiver_thresholds' in "
                 "h5py.File(sys.argv[1], 'r').attrs else 1)\" " + model).code == 0;
  };
  for (size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE(points[i]);
    for (auto& e : fs::directory_iterator(d)) fs::remove_all(e.path());
    ShellRun r = quiver(cmd, "QUIVER_FAULT_KILL_AT=" + std::to_string(i + 1));
    EXPECT_TRUE(killed(r)) << r.out;
    if (fs::exists(d + "/m.h5")) {
      EXPECT_TRUE(has_thresholds(d + "/m.h5"));
    }
    ShellRun again = quiver(cmd);
    ASSERT_EQ(again.code, 0) << again.out;
    if (i + 1 == points.size()) {
      EXPECT_TRUE(has_thresholds(d + "/m.h5"));
    }
    EXPECT_EQ(temp_files(d), std::vector<std::string>());
  }
}

// Train-if-missing (predict --train-data) holds an flock on m.h5.lock: a run killed while
// training leaves the file (no flock: the kernel dropped it); the next run takes it over,
// trains, and removes it, as every successful run does.
TEST_F(TrainFaultsTest, LockFileOfAKilledTrainIfMissingIsTakenOverAndRemoved) {
  const std::string d = dir_.file("lock");
  fs::create_directory(d);
  const std::string cmd =
      "predict --model " + d + "/m.h5 --train-data " + dir_.file("new.csv") + kTiny + " --seed 6";
  ShellRun killed_run = shell("echo 'great w1' | QUIVER_FAULT_KILL_AT='train: started' " +
                              testutil::quiver_binary() + " " + cmd + " 2>&1");
  ASSERT_TRUE(killed(killed_run)) << killed_run.out;
  EXPECT_TRUE(fs::exists(d + "/m.h5.lock"));
  EXPECT_FALSE(fs::exists(d + "/m.h5"));
  ShellRun r = shell("echo 'great w1' | " + testutil::quiver_binary() + " " + cmd + " 2>&1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"scores\""), std::string::npos) << r.out;
  EXPECT_EQ(temp_files(d), std::vector<std::string>());
  EXPECT_EQ(answers(d + "/m.h5"), new_answers_);
}

// Output problems are found before any training: one line, exit 6, nothing written.
TEST(TrainOutputPathTest, MissingFolderIsRefusedBeforeTraining) {
  TempDir dir;
  write_data(dir.file("d.csv"), "good", "bad");
  const std::string missing = dir.file("no/such/dir");
  struct Case {
    std::string args, path;
  };
  for (const Case& c : {Case{"train --data " + dir.file("d.csv") + " --model " + missing + "/x.h5 --epochs 1",
                             missing + "/x.h5"},
                        Case{"train-multilabel --category a=" + dir.file("d.csv") + " --category b=" +
                                 dir.file("d.csv") + " --model " + missing + "/ab.h5 --epochs 1",
                             missing + "/ab.h5"},
                        Case{"fit-tokenizer --data " + dir.file("d.csv") + " --out " + missing + "/t.json",
                             missing + "/t.json"}}) {
    ShellRun r = quiver(c.args);
    EXPECT_EQ(r.code, 6) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find("cannot write " + c.path + ": folder " + missing + " does not exist"),
              std::string::npos)
        << r.out;
    // Without --quiet, training would print progress lines first.
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line, no training: " << r.out;
  }
}

// A read-only output folder: a read-only tmpfs (root ignores permission bits), else a
// 0555 folder when not root.
TEST(TrainOutputPathTest, ReadOnlyFolderIsRefusedBeforeTraining) {
  TempDir dir;
  write_data(dir.file("d.csv"), "good", "bad");
  const std::string ro = dir.file("ro");
  fs::create_directory(ro);
  bool mounted = false;
  if (::geteuid() == 0) {
    if (::mount("quiver-test", ro.c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0) {
      GTEST_SKIP() << "running as root without permission to mount a read-only tmpfs ("
                   << std::strerror(errno) << "): root can write any folder otherwise";
    }
    mounted = true;
  } else {
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  }
  ShellRun r = quiver(train_cmd(dir.file("d.csv"), ro + "/x.h5"));
  ShellRun f = quiver("fit-tokenizer --data " + dir.file("d.csv") + " --out " + ro + "/t.json");
  if (mounted) ::umount2(ro.c_str(), MNT_DETACH);
  fs::permissions(ro, fs::perms::owner_all);
  for (const ShellRun& x : {r, f}) {
    EXPECT_EQ(x.code, 6) << x.out;
    EXPECT_NE(x.out.find("folder " + ro + " is not writable"), std::string::npos) << x.out;
    EXPECT_EQ(std::count(x.out.begin(), x.out.end(), '\n'), 1) << x.out;
  }
}

}  // namespace
}  // namespace quiver
