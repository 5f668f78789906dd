// quiver_checksum (src/keras_io/quiver_checksum.h): a model file quiver wrote that was
// damaged afterwards — a flipped bit in a weight, a changed quiver_* attribute — is refused
// as a corrupt file (exit code 4) instead of answering silently wrong numbers; the recorded
// value is what an independent computation (tests/faults/checksum_tool.py: h5py + Python's
// zlib.crc32, from the format as documented) gives; files without it (as Keras writes
// them) load as before; train-multilabel's later quiver_thresholds keeps the file valid.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "../train/test_data.h"
#include "testutil.h"

namespace quiver {
namespace {

using testutil::shell;
using testutil::ShellRun;

class QuiverChecksumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<testutil::TextRow> rows;
    for (int i = 0; i < 40; ++i) {
      rows.push_back({std::string(i % 2 ? "good nice" : "bad poor") + " w" + std::to_string(i % 5),
                      i % 2 ? "p" : "n"});
    }
    testutil::write_csv(dir_.file("d.csv"), rows);
    ShellRun r = run("train --data " + dir_.file("d.csv") + " --model " + dir_.file("m.h5") +
                     " --type lstm --embed-dim 4 --units 4 --epochs 1 --quiet --seed 3");
    ASSERT_EQ(r.code, 0) << r.out;
    ShellRun probe = shell("/usr/bin/python3 -c 'import h5py' 2>&1");
    if (probe.code != 0) GTEST_SKIP() << "python3-h5py is not installed: " << probe.out;
  }
  static ShellRun run(const std::string& args) {
    return shell(testutil::quiver_binary() + " " + args + " 2>&1");
  }
  ShellRun tool(const std::string& args) {
    return shell("/usr/bin/python3 " + testutil::source_dir() + "/tests/faults/checksum_tool.py " +
                 args + " 2>&1");
  }
  // predict on fixed id rows; the answers, or the error line.
  ShellRun predict(const std::string& model) {
    return shell("printf '[0,1,2]\\n[3,1,2]\\n' | " + testutil::quiver_binary() +
                 " predict --input-ids --model " + model + " 2>&1");
  }

  testutil::TempDir dir_;
};

TEST_F(QuiverChecksumTest, RecordedChecksumIsWhatAnIndependentComputationGives) {
  ShellRun recorded = tool("recorded " + dir_.file("m.h5"));
  ShellRun computed = tool("compute " + dir_.file("m.h5"));
  ASSERT_EQ(recorded.code, 0) << recorded.out;
  ASSERT_EQ(computed.code, 0) << computed.out;
  const auto r = nlohmann::json::parse(recorded.out);
  EXPECT_EQ(r, nlohmann::json::parse(computed.out));
  EXPECT_EQ(r["algorithm"], "crc32");
  EXPECT_GE(r["layers"].size(), 3u);  // embedding, lstm, dense
}

TEST_F(QuiverChecksumTest, FlippedWeightBitIsRefusedAsCorrupt) {
  ASSERT_EQ(predict(dir_.file("m.h5")).code, 0);
  ASSERT_EQ(tool("flip-weight " + dir_.file("m.h5") + " " + dir_.file("flipped.h5")).code, 0);
  ShellRun p = predict(dir_.file("flipped.h5"));
  EXPECT_EQ(p.code, 4) << p.out;
  EXPECT_NE(p.out.find(dir_.file("flipped.h5") + ": the weights of layer '"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("does not match quiver_checksum (crc32 "), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("the file was changed or damaged after quiver wrote it"), std::string::npos)
      << p.out;
  // Without the checksum the same damaged file loads: the flip is where nothing else looks.
  ASSERT_EQ(tool("drop " + dir_.file("flipped.h5") + " " + dir_.file("unchecked.h5")).code, 0);
  ShellRun q = predict(dir_.file("unchecked.h5"));
  EXPECT_EQ(q.code, 0) << q.out;
  EXPECT_NE(q.out, predict(dir_.file("m.h5")).out) << "the flip must change the answers";
}

TEST_F(QuiverChecksumTest, ChangedAttributeIsRefusedAsCorrupt) {
  ASSERT_EQ(tool("set-attr " + dir_.file("m.h5") + " " + dir_.file("a.h5") +
                 " quiver_truncating post").code, 0);
  ShellRun p = predict(dir_.file("a.h5"));
  EXPECT_EQ(p.code, 4) << p.out;
  EXPECT_NE(p.out.find("the model_config and quiver_* attributes does not match quiver_checksum"),
            std::string::npos)
      << p.out;
  // inspect reads the same file: the same refusal.
  EXPECT_EQ(run("inspect " + dir_.file("a.h5")).code, 4);
}

TEST_F(QuiverChecksumTest, FileWithoutAChecksumLoadsAsBefore) {
  ASSERT_EQ(tool("drop " + dir_.file("m.h5") + " " + dir_.file("keras.h5")).code, 0);
  ShellRun a = predict(dir_.file("m.h5")), b = predict(dir_.file("keras.h5"));
  ASSERT_EQ(a.code, 0) << a.out;
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(QuiverChecksumTest, DamagedChecksumIsRefused) {
  ASSERT_EQ(tool("set-attr " + dir_.file("m.h5") + " " + dir_.file("c.h5") +
                 " quiver_checksum not-json").code, 0);
  ShellRun p = predict(dir_.file("c.h5"));
  EXPECT_EQ(p.code, 4) << p.out;
  EXPECT_NE(p.out.find("quiver_checksum is not a checksum quiver writes"), std::string::npos) << p.out;
}

TEST_F(QuiverChecksumTest, ThresholdsWrittenLaterKeepTheFileValid) {
  // train-multilabel writes the model, then adds quiver_thresholds to it.
  std::vector<testutil::TextRow> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back({std::string(i % 2 ? "good nice" : "bad poor") + " w" + std::to_string(i % 5),
                    i % 5 < 2 ? "p" : "n"});
  }
  testutil::write_csv(dir_.file("b.csv"), rows);
  ShellRun t = run("train-multilabel --category a=" + dir_.file("d.csv") + " --category b=" +
                   dir_.file("b.csv") + " --model " + dir_.file("ml.h5") +
                   " --type lstm --embed-dim 4 --units 4 --epochs 1 --quiet --seed 3");
  ASSERT_EQ(t.code, 0) << t.out;
  ShellRun recorded = tool("recorded " + dir_.file("ml.h5"));
  ShellRun computed = tool("compute " + dir_.file("ml.h5"));
  ASSERT_EQ(recorded.code, 0) << recorded.out;
  EXPECT_EQ(nlohmann::json::parse(recorded.out), nlohmann::json::parse(computed.out));
  EXPECT_EQ(predict(dir_.file("ml.h5")).code, 0);
}

}  // namespace
}  // namespace quiver
