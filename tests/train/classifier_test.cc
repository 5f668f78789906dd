// quiver::Classifier (include/quiver/classifier.h): the precedence rule setting by setting
// (option > config > recorded > default), the decision rule at its boundaries, known-token
// counts, and the train-if-missing lock. The model is a stand-in (ClassifierOptions::
// load_model) whose ModelInfo carries the quiver_* metadata a trained file would, so each
// layer of the rule can be set or left out independently.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "quiver/classifier.h"
#include "testutil.h"

namespace quiver {
namespace {

// Outputs `units` values per row: unit u of a row = value_ + u * 0.01 (the same for every
// row), so decide() can be driven to exact boundaries.
class StubModel final : public ClassifierModel {
 public:
  StubModel(ModelInfo info, float value) : info_(std::move(info)), value_(value) {}
  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                      int64_t seq_len, const PredictOptions&) const override {
    if (static_cast<int64_t>(ids.size()) != batch * seq_len) return invalid_argument("size");
    const int64_t units = info_.output_shapes[0][1];
    Tensor t;
    t.shape = {batch, units};
    for (int64_t r = 0; r < batch; ++r)
      for (int64_t u = 0; u < units; ++u) t.data.push_back(value_ + 0.01f * u);
    return std::vector<Tensor>{std::move(t)};
  }
  const ModelInfo& info() const override { return info_; }
  // A raw-text stand-in (info().text_input): one row per text, its known tokens = the
  // number of "red" words.
  Result<std::vector<Tensor>> predict_texts(std::span<const std::string> texts,
                                            const PredictOptions&) const override {
    std::vector<int32_t> ids(texts.size(), 1);
    return predict(ids, static_cast<int64_t>(texts.size()), 1, {});
  }
  int64_t text_known_tokens(std::string_view text) const override {
    int64_t n = 0;
    for (size_t p = text.find("red"); p != std::string_view::npos; p = text.find("red", p + 1)) ++n;
    return n;
  }

 private:
  ModelInfo info_;
  float value_;
};

// A tokenizer that knows "red" (1), "green" (2), "blue" (3) and has oov_token "<oov>".
std::string tokenizer_json(bool with_oov) {
  TokenizerConfig c;
  if (with_oov) c.oov_token = "<oov>";
  Tokenizer t(c);
  EXPECT_TRUE(t.fit_on_texts({"red red red green green blue"}).ok());
  return t.to_json();
}

// Metadata as `quiver train` records it.
std::map<std::string, std::string> recorded(int64_t maxlen = 6) {
  return {{"quiver_labels", R"(["neg","pos"])"},
          {"quiver_task", "binary"},
          {"quiver_output", "softmax"},
          {"quiver_maxlen", std::to_string(maxlen)},
          {"quiver_padding", "post"},
          {"quiver_truncating", "post"},
          {"quiver_tokenizer", tokenizer_json(true)},
          {"quiver_segmenter", "cjk-chars"}};
}

struct Stub {
  bool text_input = false;  // the model reads raw text (TextVectorization first)
  int64_t input_length = -1;
  int64_t units = 2;
  float value = 0.3f;
  std::map<std::string, std::string> metadata;
};

ClassifierOptions options_for(const Stub& stub) {
  ClassifierOptions o;
  o.model_path = "stub.h5";
  o.load_model = [stub](const std::string& path, const LoadOptions&)
      -> Result<std::shared_ptr<const ClassifierModel>> {
    ModelInfo info;
    info.path = path;
    info.input_length = stub.input_length;
    info.text_input = stub.text_input;
    info.vocab_size = 50;
    info.output_shapes = {{-1, stub.units}};
    info.metadata = stub.metadata;
    return std::shared_ptr<const ClassifierModel>(std::make_shared<StubModel>(info, stub.value));
  };
  return o;
}

std::shared_ptr<const Classifier> load_ok(const ClassifierOptions& o) {
  auto c = Classifier::load(o);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? *c : nullptr;
}

TEST(ClassifierPrecedenceTest, MaxlenOptionOverRecordedOverModelLength) {
  Stub stub;
  stub.metadata = recorded(6);
  ClassifierOptions o = options_for(stub);
  EXPECT_EQ(load_ok(o)->info().seq_len, 6);  // recorded
  o.maxlen = 9;
  EXPECT_EQ(load_ok(o)->info().seq_len, 9);  // option
  Stub plain;
  plain.input_length = 12;
  EXPECT_EQ(load_ok(options_for(plain))->info().seq_len, 12);  // the model's own length
  plain.input_length = -1;
  EXPECT_EQ(load_ok(options_for(plain))->info().seq_len, -1);  // none: each text its own
}

// A model whose first layer is a TextVectorization: one property, takes_raw_text(); its
// texts go to predict_texts, encode() only counts known tokens, and a tokenizer, segmenter
// or length setting is refused rather than silently unused.
TEST(ClassifierRawTextTest, AModelWithItsOwnTextInputTakesRawText) {
  Stub stub;
  stub.text_input = true;
  ClassifierOptions o = options_for(stub);
  auto c = load_ok(o);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->takes_raw_text());
  EXPECT_EQ(c->tokenizer(), nullptr);
  EXPECT_EQ(c->info().encoding_key, 1u);  // every such model gets the texts as they are
  auto e = c->encode("red green red");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->ids.empty());
  EXPECT_EQ(e->known_tokens, 2);
  const std::vector<std::string> texts = {"red", "blue"};
  auto out = c->predict_texts(texts);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(c->warm_up().ok());
  o.tokenizer_path = "tok.json";
  EXPECT_STATUS(Classifier::load(o).status(), kInvalidArgument,
                "tokenizer: the model takes text itself (its first layer is TextVectorization)");
  o.tokenizer_path.reset();
  o.maxlen = 8;
  EXPECT_STATUS(Classifier::load(o).status(), kInvalidArgument,
                "maxlen / padding / truncating: the model's TextVectorization sets the length");
  o.maxlen.reset();
  o.segmenter = "cjk-chars";
  EXPECT_STATUS(Classifier::load(o).status(), kInvalidArgument, "the model takes text itself");
  // A token-id model is not a raw-text one: predict_texts refuses.
  auto ids_model = load_ok(options_for(Stub()));
  EXPECT_FALSE(ids_model->takes_raw_text());
  EXPECT_STATUS(ids_model->predict_texts(texts).status(), kInvalidArgument,
                "the model takes token ids");
}

TEST(ClassifierPrecedenceTest, MaxlenContradictingTheModelIsRefused) {
  Stub stub;
  stub.input_length = 12;
  ClassifierOptions o = options_for(stub);
  o.maxlen = 9;
  EXPECT_STATUS(Classifier::load(o), kInvalidArgument,
                "maxlen 9 differs from the model's input length 12");
}

TEST(ClassifierPrecedenceTest, PaddingOptionOverRecordedOverPre) {
  Stub stub;
  stub.metadata = recorded();
  ClassifierOptions o = options_for(stub);
  EXPECT_EQ(load_ok(o)->info().padding, PadMode::kPost);  // recorded
  EXPECT_EQ(load_ok(o)->info().truncating, PadMode::kPost);
  o.padding = PadMode::kPre;
  o.truncating = PadMode::kPre;
  EXPECT_EQ(load_ok(o)->info().padding, PadMode::kPre);  // option
  EXPECT_EQ(load_ok(o)->info().truncating, PadMode::kPre);
  Stub plain;
  EXPECT_EQ(load_ok(options_for(plain))->info().padding, PadMode::kPre);  // default
}

TEST(ClassifierPrecedenceTest, LabelsOptionOverRecordedOverIndices) {
  Stub stub;
  stub.metadata = recorded();
  ClassifierOptions o = options_for(stub);
  EXPECT_EQ(load_ok(o)->info().labels, (std::vector<std::string>{"neg", "pos"}));
  o.labels = std::vector<std::string>{"bad", "good"};
  EXPECT_EQ(load_ok(o)->info().labels, (std::vector<std::string>{"bad", "good"}));
  Stub plain;
  plain.units = 3;
  EXPECT_EQ(load_ok(options_for(plain))->info().labels,
            (std::vector<std::string>{"0", "1", "2"}));
  plain.units = 1;  // one sigmoid unit: two labels
  EXPECT_EQ(load_ok(options_for(plain))->info().labels, (std::vector<std::string>{"0", "1"}));
}

TEST(ClassifierPrecedenceTest, LabelCountMustFitTheOutput) {
  Stub stub;
  ClassifierOptions o = options_for(stub);
  o.labels = std::vector<std::string>{"a", "b", "c"};
  EXPECT_STATUS(Classifier::load(o), kInvalidArgument,
                "labels: 3 labels for an output of 2 unit(s) (expected 2)");
  stub.metadata = recorded();
  stub.metadata["quiver_labels"] = R"(["a","b","c"])";
  EXPECT_STATUS(Classifier::load(options_for(stub)), kCorruption, "stub.h5: quiver_labels: 3 labels");
}

TEST(ClassifierPrecedenceTest, TokenizerOptionOverRecordedOverNone) {
  testutil::TempDir dir;
  const std::string path = dir.file("tok.json");
  std::ofstream(path) << tokenizer_json(false);
  Stub stub;
  stub.metadata = recorded();
  ClassifierOptions o = options_for(stub);
  EXPECT_TRUE(load_ok(o)->tokenizer()->oov_token_index().has_value());  // recorded
  o.tokenizer = std::make_shared<const Tokenizer>(*Tokenizer::from_json(tokenizer_json(false)));
  EXPECT_FALSE(load_ok(o)->tokenizer()->oov_token_index().has_value());  // option
  Stub plain;
  ClassifierOptions p = options_for(plain);
  auto c = load_ok(p);
  EXPECT_EQ(c->tokenizer(), nullptr);  // none: id rows only
  EXPECT_STATUS(c->encode("red"), kInvalidArgument, "no tokenizer");
  p.tokenizer_path = path;
  EXPECT_FALSE(load_ok(p)->tokenizer()->oov_token_index().has_value());  // a file
}

TEST(ClassifierPrecedenceTest, TokenizerFileMustBelongToATrainedModel) {
  testutil::TempDir dir;
  const std::string other = dir.file("other.json"), same = dir.file("same.json");
  std::ofstream(other) << tokenizer_json(false);
  std::ofstream(same) << tokenizer_json(true);
  Stub stub;
  stub.metadata = recorded();
  ClassifierOptions o = options_for(stub);
  o.tokenizer_path = same;
  ASSERT_OK(Classifier::load(o));
  o.tokenizer_path = other;
  EXPECT_STATUS(Classifier::load(o), kCorruption, "other.json does not belong to stub.h5");
}

TEST(ClassifierPrecedenceTest, SegmenterOptionOverRecordedOverNone) {
  Stub stub;
  stub.metadata = recorded();
  ClassifierOptions o = options_for(stub);
  auto recorded_seg = load_ok(o);
  EXPECT_EQ(recorded_seg->info().segmenter, "cjk-chars");
  ASSERT_NE(recorded_seg->segmenter(), nullptr);
  o.segmenter = "none";
  auto none = load_ok(o);
  EXPECT_EQ(none->info().segmenter, "none");
  EXPECT_EQ(none->segmenter(), nullptr);
  EXPECT_NE(none->info().encoding_key, recorded_seg->info().encoding_key);
}

TEST(ClassifierPrecedenceTest, ThresholdsOptionOverRecordedOverHalf) {
  Stub stub;
  stub.units = 2;
  stub.metadata = recorded();
  stub.metadata["quiver_task"] = "multilabel";
  ClassifierOptions o = options_for(stub);
  auto half = load_ok(o);
  EXPECT_TRUE(half->info().multi_label);
  EXPECT_EQ(half->info().thresholds, (std::vector<double>{0.5, 0.5}));  // default
  stub.metadata["quiver_thresholds"] = "[0.2, 0.7]";
  o = options_for(stub);
  EXPECT_EQ(load_ok(o)->info().thresholds, (std::vector<double>{0.2, 0.7}));  // recorded
  o.thresholds = std::vector<double>{0.4};
  EXPECT_EQ(load_ok(o)->info().thresholds, (std::vector<double>{0.4, 0.4}));  // option
  o.thresholds = std::vector<double>{0.1, 0.2, 0.3};
  EXPECT_STATUS(Classifier::load(o), kInvalidArgument, "thresholds: 3 thresholds for 2 labels");
}

TEST(ClassifierPrecedenceTest, ExplicitOptionsOverConfig) {
  ClassifierOptions config;
  config.model_path = "config.h5";
  config.maxlen = 10;
  config.padding = PadMode::kPost;
  config.labels = std::vector<std::string>{"a", "b"};
  config.weights = WeightMode::kBf16;
  config.hard_sigmoid = HardSigmoidMode::kKeras2;
  config.tokenizer_path = "config.json";
  config.segmenter = "jieba";
  config.thresholds = std::vector<double>{0.3};
  ClassifierOptions flags;
  flags.maxlen = 20;
  flags.weights = WeightMode::kFp32;
  flags.tokenizer = std::make_shared<const Tokenizer>();
  ClassifierOptions merged = ClassifierOptions::merge(flags, config);
  EXPECT_EQ(merged.model_path, "config.h5");
  EXPECT_EQ(merged.maxlen, 20);                        // explicit
  EXPECT_EQ(merged.weights, WeightMode::kFp32);        // explicit, though it is the default
  EXPECT_EQ(merged.padding, PadMode::kPost);           // config
  EXPECT_EQ(merged.labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(merged.hard_sigmoid, HardSigmoidMode::kKeras2);
  EXPECT_EQ(merged.segmenter, "jieba");
  EXPECT_EQ(merged.thresholds, (std::vector<double>{0.3}));
  EXPECT_NE(merged.tokenizer, nullptr);                // the explicit tokenizer object ...
  EXPECT_FALSE(merged.tokenizer_path.has_value());     // ... replaces the config's file
  EXPECT_EQ(merged.load_options().weights, WeightMode::kFp32);
  EXPECT_EQ(merged.load_options().hard_sigmoid, HardSigmoidMode::kKeras2);
}

TEST(ClassifierDecisionTest, OneSigmoidUnitIsPositiveOnlyAboveHalf) {
  Stub stub;
  stub.units = 1;
  auto c = load_ok(options_for(stub));
  const float half = 0.5f;
  const float above = std::nextafter(0.5f, 1.0f);
  const float below = std::nextafter(0.5f, 0.0f);
  EXPECT_EQ(c->decide(&half).label, 0u);  // Keras: (p > 0.5) is False at 0.5
  EXPECT_EQ(c->decide(&above).label, 1u);
  EXPECT_EQ(c->decide(&below).label, 0u);
  EXPECT_EQ(c->label_scores(&above), (std::vector<float>{1.0f - above, above}));
}

TEST(ClassifierDecisionTest, SoftmaxTieGoesToTheFirstLabel) {
  Stub stub;
  stub.units = 3;
  auto c = load_ok(options_for(stub));
  const float tie[3] = {0.2f, 0.4f, 0.4f};
  EXPECT_EQ(c->decide(tie).label, 1u);  // numpy.argmax: the first maximum
  const float last[3] = {0.2f, 0.3f, 0.5f};
  EXPECT_EQ(c->decide(last).label, 2u);
}

TEST(ClassifierDecisionTest, MultiLabelChoosesLabelsStrictlyAboveTheirThresholds) {
  Stub stub;
  stub.units = 3;
  ClassifierOptions o = options_for(stub);
  o.thresholds = std::vector<double>{0.5, 0.25, 0.75};
  auto c = load_ok(o);
  const float row[3] = {0.5f, 0.3f, 0.8f};
  const Decision d = c->decide(row);
  EXPECT_EQ(d.chosen, (std::vector<size_t>{1, 2}));  // 0.5 is not above 0.5
  EXPECT_EQ(d.label, 2u);
}

TEST(ClassifierEncodeTest, CountsKnownTokensWithoutPaddingOrOov) {
  Stub stub;
  stub.metadata = recorded(6);
  ClassifierOptions o = options_for(stub);
  o.segmenter = "none";
  auto c = load_ok(o);
  // word_index: <oov> 1, red 2, green 3, blue 4; post padding (recorded).
  auto e = c->encode("red zzqx blue");
  ASSERT_OK(e);
  EXPECT_EQ(e->ids, (std::vector<int32_t>{2, 1, 4, 0, 0, 0}));
  EXPECT_EQ(e->known_tokens, 2);
  auto unknown = c->encode("zzqx blorf !!!");
  ASSERT_OK(unknown);
  EXPECT_EQ(unknown->known_tokens, 0);
  auto empty = c->encode("");
  ASSERT_OK(empty);
  EXPECT_EQ(empty->known_tokens, 0);
}

TEST(ClassifierEncodeTest, WithoutAFixedLengthATextKeepsItsOwn) {
  Stub stub;
  ClassifierOptions o = options_for(stub);
  o.tokenizer = std::make_shared<const Tokenizer>(*Tokenizer::from_json(tokenizer_json(false)));
  auto c = load_ok(o);
  EXPECT_EQ(c->encode("red green")->ids, (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(c->encode("zzqx")->ids, (std::vector<int32_t>{0}));  // at least one id
}

TEST(ClassifierPredictTest, RefusesIdsOutsideTheVocabulary) {
  Stub stub;
  auto c = load_ok(options_for(stub));
  const std::vector<int32_t> ids = {1, 2, 50};
  EXPECT_STATUS(c->predict(ids, 1, 3), kInvalidArgument,
                "row 0: token id 50 is outside the vocabulary [0, 50)");
}

// The training options for a missing model; no tokenizer is fitted (the stub records none).
ClassifierOptions train_options(const testutil::TempDir& dir) {
  ClassifierOptions o = options_for(Stub());
  o.model_path = dir.file("m.h5");
  o.train_data = dir.file("data.csv");
  o.train_if_missing = true;
  o.fit_tokenizer = [](const std::string&, const TrainOptions&) -> Result<Tokenizer> {
    return Tokenizer();
  };
  return o;
}

TEST(ClassifierTrainTest, RacingLoadsTrainAMissingModelOnce) {
  testutil::TempDir dir;
  std::atomic<int> trained{0};
  ClassifierOptions o = train_options(dir);
  o.train = [&](const std::string&, const std::string& model, const TrainOptions&) -> Status {
    ++trained;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // hold the lock a while
    std::ofstream(model) << "trained";
    return Status();
  };
  std::vector<std::thread> threads;
  std::atomic<int> loaded{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (Classifier::load(o).ok()) ++loaded;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(trained.load(), 1);
  EXPECT_EQ(loaded.load(), 4);
}

TEST(ClassifierTrainTest, ExistingModelIsNotTrained) {
  testutil::TempDir dir;
  std::ofstream(dir.file("m.h5")) << "x";
  ClassifierOptions o = train_options(dir);
  o.train = [](const std::string&, const std::string&, const TrainOptions&) -> Status {
    return internal_error("must not train");
  };
  ASSERT_OK(Classifier::load(o));
}

}  // namespace
}  // namespace quiver
