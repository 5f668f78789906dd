// read_model on damaged, truncated, garbage and unsupported inputs: always a clean Status
// with the right code and a message naming the file; never a crash or a partial spec.
#include <filesystem>
#include <fstream>
#include <random>

#include "base/file.h"
#include "keras_io/model_spec.h"
#include "synthetic_files.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

namespace fs = std::filesystem;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class DamageTest : public testutil::SyntheticFilesTest {
 protected:
  // Truncates `source` at `points` lengths spread over the file; each copy must fail with
  // Corruption and name the copy.
  void expect_truncations_fail(const std::string& source, int points) {
    Result<std::string> bytes = base::read_file(source);
    ASSERT_OK(bytes);
    std::string copy = dir_.file("truncated_" + fs::path(source).filename().string());
    for (int i = 0; i < points; ++i) {
      size_t length = bytes->size() * static_cast<size_t>(i) / static_cast<size_t>(points);
      if (i == points - 1) length = bytes->size() - 1;
      write_bytes(copy, bytes->substr(0, length));
      Result<ModelSpec> spec = read_model(copy);
      EXPECT_STATUS(spec, kCorruption, fs::path(copy).filename().string());
      EXPECT_FALSE(spec.ok()) << "length " << length;
    }
  }

  testutil::TempDir dir_;
};

TEST_F(DamageTest, TruncatedSyntheticFilesFail) {
  expect_truncations_fail(file("keras20.h5"), 30);
  expect_truncations_fail(file("keras3.keras"), 30);
}

TEST_F(DamageTest, TruncatedRealFilesFail) {
  std::string models = testutil::shared_dir() + "/keras-models";
  std::string h5 = models + "/k2.4.0_moaz_stacked_bilstm/model.h5";
  std::string zip = models + "/k2.15.0_saik_spam_simplernn_keras/model.keras";
  if (!fs::exists(h5) || !fs::exists(zip)) GTEST_SKIP() << testutil::shared_absent(models);
  expect_truncations_fail(h5, 30);
  expect_truncations_fail(zip, 30);
}

TEST_F(DamageTest, EmptyFileIsCorruption) {
  write_bytes(dir_.file("empty.h5"), "");
  EXPECT_STATUS(read_model(dir_.file("empty.h5")), kCorruption, "empty.h5: empty file");
}

TEST_F(DamageTest, MissingFileIsNotFound) {
  EXPECT_STATUS(read_model(dir_.file("nope.h5")), kNotFound, "nope.h5");
}

TEST_F(DamageTest, DirectoryIsUnimplemented) {
  EXPECT_STATUS(read_model(dir_.path()), kUnimplemented, "a directory (a TensorFlow SavedModel?)");
}

TEST_F(DamageTest, RandomGarbageIsCorruption) {
  std::mt19937 rng(1234);
  for (size_t size : {1u, 7u, 100u, 5000u}) {
    for (std::string prefix :
         {std::string(), std::string("\x89HDF\r\n\x1a\n", 8), std::string("PK\x03\x04", 4)}) {
      std::string bytes = prefix;
      while (bytes.size() < size + prefix.size()) bytes.push_back(static_cast<char>(rng()));
      write_bytes(dir_.file("garbage.bin"), bytes);
      EXPECT_STATUS(read_model(dir_.file("garbage.bin")), kCorruption, "garbage.bin");
    }
  }
}

TEST_F(DamageTest, FlippedBytesNeverCrash) {
  // Damage that HDF5 cannot detect (it has no checksums on raw data) may still load; what
  // matters is a clean result either way.
  Result<std::string> bytes = base::read_file(file("tfkeras.h5"));
  ASSERT_OK(bytes);
  std::mt19937 rng(99);
  for (int round = 0; round < 40; ++round) {
    std::string damaged = *bytes;
    for (int k = 0; k < 8; ++k)
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    write_bytes(dir_.file("flipped.h5"), damaged);
    Result<ModelSpec> spec = read_model(dir_.file("flipped.h5"));
    if (!spec.ok()) {
      EXPECT_NE(spec.status().message().find("flipped.h5"), std::string::npos)
          << spec.status().to_string();
    }
  }
}

TEST_F(DamageTest, ZipWithoutWeightsIsCorruption) {
  EXPECT_STATUS(read_model(file("no_weights.keras")), kCorruption,
                "no_weights.keras: model.weights.h5 missing");
}

TEST_F(DamageTest, ConfigThatIsNotJsonIsCorruption) {
  EXPECT_STATUS(read_model(file("not_json.keras")), kCorruption,
                "not_json.keras: config.json: model config is not valid JSON");
  EXPECT_STATUS(read_model(file("bad_config.h5")), kCorruption,
                "bad_config.h5: model config is not valid JSON");
}

TEST_F(DamageTest, GarbageInnerWeightsFileIsCorruption) {
  EXPECT_STATUS(read_model(file("bad_weights.keras")), kCorruption,
                "bad_weights.keras: model.weights.h5: not a readable HDF5 file");
}

TEST_F(DamageTest, MissingWeightGroupsNameTheLayer) {
  EXPECT_STATUS(read_model(file("missing_group.h5")), kCorruption,
                "missing_group.h5: layer 'lstm_1': weight group missing");
  EXPECT_STATUS(read_model(file("missing_dataset.h5")), kCorruption,
                "missing_dataset.h5: layer 'lstm_1': dataset 'lstm_1/bias:0' missing");
  EXPECT_STATUS(
      read_model(file("missing_vars.keras")), kCorruption,
      "layer 'bidirectional' (Bidirectional): weight group 'layers/bidirectional' missing");
}

TEST_F(DamageTest, GlobalHeapThatWouldHangHdf5IsCorruption) {
  // Found by fuzz/keras_io_fuzz.cc: libhdf5 1.10 never returns from reading this file.
  EXPECT_STATUS(read_model(file("heap_loop.h5")), kCorruption,
                "heap_loop.h5: damaged global heap at byte");
}

TEST_F(DamageTest, HugeShapeWithoutStorageIsCorruption) {
  EXPECT_STATUS(read_model(file("huge_chunked.h5")), kCorruption,
                "huge_chunked.h5: layer 'dense_1': dataset 'dense_1/bias:0' claims 10000000000 "
                "bytes but stores 0");
}

TEST_F(DamageTest, ExternalLinksAreNotFollowed) {
  EXPECT_STATUS(read_model(file("external_link.h5")), kCorruption,
                "external_link.h5: layer 'lstm_1': dataset 'lstm_1/bias:0' missing");
}

TEST_F(DamageTest, NonFloatWeightsAreCorruption) {
  EXPECT_STATUS(read_model(file("int_weights.h5")), kCorruption,
                "int_weights.h5: layer 'dense_1': dataset 'dense_1/bias:0' is not floating point");
}

TEST_F(DamageTest, UnsupportedModelsAreUnimplemented) {
  // Nested models called once are flattened since 7917c81 (golden cases cover them).
  EXPECT_STATUS(read_model(file("subclassed.h5")), kUnimplemented,
                "subclassed.h5: model class 'MyModel' is not supported");
}

TEST_F(DamageTest, BadArchitectureFiles) {
  ReadOptions options;
  options.architecture_path = file("not_arch.yml");
  EXPECT_STATUS(read_model(file("weights_json.h5"), options), kInvalidArgument,
                "not_arch.yml: not a Keras model architecture");
  options.architecture_path = dir_.file("absent.json");
  EXPECT_STATUS(read_model(file("weights_json.h5"), options), kNotFound, "absent.json");
}

}  // namespace
}  // namespace quiver::keras_io
