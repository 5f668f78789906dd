// Hostile model and architecture files (make_hostile_files.py): every declared depth, size
// and count beyond quiver/limits.h fails cleanly — with ResourceExhausted naming the file,
// the layer and the limit — before anything is walked recursively or allocated; in the
// library, and through the CLI with exit code 7.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "keras_io/config_parser.h"
#include "keras_io/model_spec.h"
#include "quiver/limits.h"
#include "quiver/model.h"
#include "synthetic_files.h"
#include "testutil.h"

namespace quiver::keras_io {
namespace {

using nlohmann::json;

class HostileFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { files_ = new testutil::SyntheticFiles("make_hostile_files.py"); }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(files_->ok()) << "make_hostile_files.py failed"; }
  static std::string file(const std::string& name) { return files_->file(name); }

  static inline testutil::SyntheticFiles* files_ = nullptr;
};

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(ConfigDepthTest, ConfigJsonNestedTooDeepIsRefused) {
  EXPECT_STATUS(parse_config_json("{\"a\": " + nested(100000) + "}"), kResourceExhausted,
                "model config: JSON nested 100001 levels deep, more than the limit of 256");
}

TEST(ConfigDepthTest, ConfigJsonAtTheLimitParses) {
  ASSERT_OK(parse_config_json("{\"a\": " + nested(limits::kMaxConfigDepth - 1) + "}"));
  EXPECT_STATUS(parse_config_json("{\"a\": " + nested(limits::kMaxConfigDepth) + "}"),
                kResourceExhausted, "257 levels deep");
}

TEST(ConfigDepthTest, StringEncodedConfigIsCheckedAfterDecoding) {
  std::string inner = "{\"a\": " + nested(1000) + "}";
  EXPECT_STATUS(parse_config_json(json(inner).dump()), kResourceExhausted, "1001 levels deep");
}

TEST(ConfigDepthTest, BracketsInsideStringsDoNotCount) {
  std::string text = "{\"name\": \"" + std::string(1000, '[') + "\\\"" + "\"}";
  ASSERT_OK(parse_config_json(text));
}

TEST(ConfigDepthTest, NormaliseInPlaceWalksAnyDepthWithoutRecursion) {
  // Built and destroyed iteratively by nlohmann::json; normalised by our explicit stack.
  json deep = json::object({{"class_name", "X"}, {"module", "m"}});
  for (int i = 0; i < 200000; ++i) deep = json::array({std::move(deep)});
  normalise_config_in_place(deep);
  const json* node = &deep;
  while (node->is_array()) node = &(*node)[0];
  EXPECT_FALSE(node->contains("module"));
}

// A Sequential holding a Sequential ... `levels` deep, the innermost holding one Dense.
json nested_sequentials(int levels) {
  json model = {{"class_name", "Dense"},
                {"config", {{"name", "dense"}, {"units", 2}, {"batch_input_shape", {nullptr, 3}}}}};
  for (int i = 0; i < levels; ++i) {
    model = {{"class_name", "Sequential"},
             {"config", {{"name", "seq_" + std::to_string(i)}, {"layers", json::array({model})}}}};
  }
  return model;
}

TEST(ConfigDepthTest, ModelsNestedMoreThanEightDeepAreRefused) {
  // The nesting counts across the recursive parse of each nested model's own config.
  Result<ModelGraph> eight = parse_model_config(nested_sequentials(9));  // outer + 8 nested
  ASSERT_OK(eight);
  EXPECT_EQ(eight->layers.back().class_name, "Dense");
  EXPECT_STATUS(parse_model_config(nested_sequentials(10)), kCorruption,
                "models nested more than 8 deep");
}

TEST_F(HostileFilesTest, DeepModelConfigInH5IsRefused) {
  EXPECT_STATUS(read_model(file("deep_config.h5")), kResourceExhausted,
                "deep_config.h5: model config: JSON nested 100004 levels deep, more than the limit of 256");
}

TEST_F(HostileFilesTest, DeepConfigJsonInKerasZipIsRefused) {
  EXPECT_STATUS(read_model(file("deep_config.keras")), kResourceExhausted,
                "deep_config.keras: config.json: model config: JSON nested 100002 levels deep");
}

TEST_F(HostileFilesTest, DeepArchitectureFilesAreRefused) {
  // The JSON document nests its brackets in one more object than the YAML mapping.
  for (auto [name, levels] : {std::pair{"deep_arch.json", 100001}, std::pair{"deep_flow.yaml", 100000}}) {
    ReadOptions options;
    options.architecture_path = file(name);
    EXPECT_STATUS(read_model(file("weights_only.h5"), options), kResourceExhausted,
                  std::string(name) + ": model architecture: JSON nested " +
                      std::to_string(levels) + " levels deep, more than the limit of 256");
  }
}

TEST_F(HostileFilesTest, DeepBlockYamlIsRefused) {
  ReadOptions options;
  options.architecture_path = file("deep_block.yaml");
  EXPECT_STATUS(read_model(file("weights_only.h5"), options), kResourceExhausted,
                "deep_block.yaml: YAML nested more than 256 levels deep");
}

TEST_F(HostileFilesTest, YamlAliasBombIsRefused) {
  ReadOptions options;
  options.architecture_path = file("alias_bomb.yaml");
  EXPECT_STATUS(read_model(file("weights_only.h5"), options), kResourceExhausted,
                "alias_bomb.yaml: YAML document expands to more than 262144 values");
}

TEST_F(HostileFilesTest, ZipEntryDeclaringMoreThanItsRatioIsRefused) {
  EXPECT_STATUS(read_model(file("zip_bomb.keras")), kResourceExhausted,
                "zip_bomb.keras: 'model.weights.h5': declares 4294967280 bytes from ");
}

TEST_F(HostileFilesTest, ZipEntryOutsideTheArchiveIsRefused) {
  EXPECT_STATUS(read_model(file("dotdot.keras")), kCorruption,
                "dotdot.keras: zip entry '../../etc/evil' points outside the archive (..)");
}

TEST_F(HostileFilesTest, ZipWithTooManyEntriesIsRefused) {
  EXPECT_STATUS(read_model(file("many_entries.keras")), kResourceExhausted,
                "zip archive of 10004 entries, more than the limit of 10000");
}

TEST_F(HostileFilesTest, WeightsBeyondTheMemoryLimitAreNotAllocated) {
  // 23 kB on disk, 4,000,000 bytes of float32 weights (gzip-compressed zeros).
  ReadOptions options;
  options.max_memory_bytes = 1 << 20;
  EXPECT_STATUS(read_model(file("compressed_weights.h5"), options), kResourceExhausted,
                "compressed_weights.h5: the weights need 4000400 bytes as float32, more than "
                "the memory limit of 1048576 bytes");
  options.max_memory_bytes = 5 << 20;
  ASSERT_OK(read_model(file("compressed_weights.h5"), options));
}

TEST_F(HostileFilesTest, FileLargerThanTheMemoryLimitIsNotRead) {
  ReadOptions options;
  options.max_memory_bytes = 1000;
  EXPECT_STATUS(read_model(file("small.h5"), options), kResourceExhausted,
                "small.h5: file of 16920 bytes exceeds the limit of 1000");
}

TEST_F(HostileFilesTest, LoadedModelBeyondTheMemoryLimitFailsWithTheBytesNeeded) {
  // Weights 4 MB; the LSTM's token table adds 250000 x 12 floats (12 MB). The default
  // memory policy (auto, no budget) keeps fp32 tables, and the limit is checked for the
  // whole model before its tables are built.
  LoadOptions options;
  options.max_memory_bytes = 8 << 20;
  EXPECT_STATUS(Model::load(file("compressed_weights.h5"), options), kResourceExhausted,
                "compressed_weights.h5: the model needs 16000884 bytes once loaded (memory "
                "policy fp32), more than the memory limit of 8388608 bytes (max_memory_bytes)");
  options.max_memory_bytes = 32 << 20;
  ASSERT_OK(Model::load(file("compressed_weights.h5"), options));
}

TEST_F(HostileFilesTest, CompactDatasetMustHoldWhatItsShapeNeeds) {
  // A compact dataset (data inside the object header) is read when it is whole.
  Result<ModelSpec> whole = read_model(file("compact_bias.h5"));
  ASSERT_OK(whole);
  ASSERT_EQ(whole->layers.back().weights.size(), 2u);
  EXPECT_EQ(whole->layers.back().weights[1].values, std::vector<float>{6.0f});
  // libhdf5 1.10.8 reads a compact dataset whose header claims 0 bytes from a null buffer
  // (SIGSEGV) and one that claims 2 of its 4 past the end (garbage): both are refused first.
  EXPECT_STATUS(read_model(file("compact_bias_empty.h5")), kCorruption,
                "dataset 'dense_1/bias:0' holds 0 bytes, its shape needs 4");
  EXPECT_STATUS(read_model(file("compact_bias_short.h5")), kCorruption,
                "dataset 'dense_1/bias:0' holds 2 bytes, its shape needs 4");
}

TEST_F(HostileFilesTest, HugeDeclaredInputLengthIsRefusedBeforeAllocation) {
  EXPECT_STATUS(Model::load(file("huge_length.h5")), kResourceExhausted,
                "huge_length.h5: layer 'input_1' (InputLayer): batch_input_shape "
                "[null,1099511627776] exceeds the limit of 1048576");
}

TEST_F(HostileFilesTest, LengthAboveInt64IsReportedAsWritten) {
  EXPECT_STATUS(Model::load(file("wrapped_length.h5")), kResourceExhausted,
                "batch_input_shape [null,18446744073709551615] exceeds");
}

TEST_F(HostileFilesTest, HugeDeclaredUnitsAndVocabularyAreRefused) {
  EXPECT_STATUS(Model::load(file("huge_units.h5")), kResourceExhausted,
                "layer 'lstm_1' (LSTM): units 1099511627776 exceeds the limit of 1048576");
  EXPECT_STATUS(Model::load(file("huge_vocab.h5")), kResourceExhausted,
                "layer 'embedding_1' (Embedding): input_dim 1099511627776 exceeds the limit of "
                "268435456");
}

TEST_F(HostileFilesTest, LengthAtTheLimitLoads) {
  Result<std::shared_ptr<const Model>> model = Model::load(file("max_length.h5"));
  ASSERT_OK(model);
  EXPECT_EQ((*model)->info().input_length, limits::kMaxSequenceLength);
  EXPECT_LT((*model)->info().memory_bytes, 1 << 20);
}

// The CLI: one line on stderr, exit code 7 for a limit, never a signal.
TEST_F(HostileFilesTest, CliReportsLimitsWithExitCode7) {
  for (const char* name : {"deep_config.h5", "deep_config.keras", "huge_length.h5",
                           "zip_bomb.keras", "huge_units.h5"}) {
    testutil::ShellRun run =
        testutil::shell(testutil::quiver_binary() + " inspect " + file(name) + " 2>&1");
    EXPECT_EQ(run.code, 7) << name << ": " << run.out;
    EXPECT_NE(run.out.find(name), std::string::npos) << run.out;
  }
}

TEST(FileKindTest, CliNamesWhyAPathIsNotAModelFile) {
  testutil::TempDir dir;
  ASSERT_EQ(::symlink("loop", dir.file("loop").c_str()), 0);
  ASSERT_EQ(::symlink("missing", dir.file("dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0644), 0);
  struct Case {
    std::string path;
    int code;
    std::string message;
  };
  for (const Case& c : {Case{dir.file("loop"), 6, "a symlink loop"},
                        Case{dir.file("dangling"), 3, "a symbolic link to a missing file"},
                        Case{dir.file("fifo"), 6, "a FIFO, not a regular file"},
                        Case{"/dev/zero", 6, "/dev/zero: a character device, not a regular file"},
                        Case{dir.file("none.h5"), 3, "none.h5: no such file"}}) {
    testutil::ShellRun run =
        testutil::shell(testutil::quiver_binary() + " inspect " + c.path + " 2>&1");
    EXPECT_EQ(run.code, c.code) << c.path << ": " << run.out;
    EXPECT_NE(run.out.find(c.message), std::string::npos) << run.out;
  }
}

}  // namespace
}  // namespace quiver::keras_io
