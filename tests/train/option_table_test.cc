// The one training-option table (src/train/option_table.h): names, aliases, defaults read
// from TrainOptions{}, and the validation messages both the CLI and the serve config use.
#include "train/option_table.h"

#include <gtest/gtest.h>

#include <set>

namespace quiver::train {
namespace {

Status set(const char* key, const std::string& value, TrainOptions& o) {
  const TrainingOption* option = find_training_key(key);
  EXPECT_NE(option, nullptr) << key;
  return option ? option->set(value, o) : Status();
}

TEST(OptionTableTest, NamesFlagsAndAliasesAreUnique) {
  std::set<std::string> keys, flags;
  for (const auto& o : training_options()) {
    EXPECT_TRUE(keys.insert(o.name).second) << o.name;
    for (const auto& a : o.yaml_aliases) EXPECT_TRUE(keys.insert(a).second) << a;
    EXPECT_TRUE(flags.insert(o.flag()).second) << o.flag();
    for (const auto& a : o.cli_aliases) EXPECT_TRUE(flags.insert(a).second) << a;
    EXPECT_EQ(o.flag().find('_'), std::string::npos);
  }
  EXPECT_EQ(find_training_key("model_type"), find_training_key("architecture"));
  EXPECT_EQ(find_training_key("embedding_dim"), find_training_key("embed_dim"));
  EXPECT_EQ(find_training_key("model_type")->flag(), "--model-type");
  EXPECT_EQ(find_training_key("model_type")->cli_aliases, std::vector<std::string>{"--type"});
  EXPECT_EQ(find_training_key("embedding_dim")->cli_aliases, std::vector<std::string>{"--embed-dim"});
  EXPECT_EQ(find_training_key("no_such_option"), nullptr);
}

// Setting every option to its printed default leaves TrainOptions{} unchanged: the table's
// defaults are the struct's, and each getter and setter agree.
TEST(OptionTableTest, DefaultsRoundTrip) {
  const TrainOptions defaults;
  TrainOptions o;
  for (const auto& opt : training_options()) {
    ASSERT_TRUE(opt.set(opt.default_text(), o).ok()) << opt.name << " = '" << opt.default_text() << "'";
  }
  for (const auto& opt : training_options()) EXPECT_EQ(opt.get(o), opt.get(defaults)) << opt.name;
  EXPECT_EQ(find_training_key("embedding_dim")->default_text(), "32");
  EXPECT_EQ(find_training_key("units")->default_text(), "32");
  EXPECT_EQ(find_training_key("epochs")->default_text(), "5");
  EXPECT_EQ(find_training_key("model_type")->default_text(), "lstm");
  EXPECT_EQ(find_training_key("maxlen")->default_text(), "0");
  EXPECT_EQ(find_training_key("num_words")->default_text(), "2000");
}

TEST(OptionTableTest, ValuesAreValidatedWithOneWording) {
  TrainOptions o;
  EXPECT_EQ(set("epochs", "0", o).message(), "expected an integer >= 1, got '0'");
  EXPECT_EQ(set("epochs", "3x", o).message(), "expected an integer >= 1, got '3x'");
  EXPECT_EQ(set("threads", "2000", o).message(), "expected an integer in [0, 1024], got '2000'");
  EXPECT_EQ(set("dropout", "1", o).message(), "expected a number in [0, 1), got '1'");
  EXPECT_EQ(set("validation_split", "-0.1", o).message(), "expected a number in [0, 1), got '-0.1'");
  EXPECT_EQ(set("learning_rate", "0", o).message(), "expected a number > 0, got '0'");
  EXPECT_EQ(set("model_type", "rnn", o).message(), "expected lstm, bilstm, gru, bigru or cnn, got 'rnn'");
  EXPECT_EQ(set("padding", "middle", o).message(), "expected pre or post, got 'middle'");
  EXPECT_EQ(set("class_weight", "auto", o).message(), "expected none or balanced, got 'auto'");
  EXPECT_EQ(set("mask_zero", "maybe", o).message(), "expected true or false, got 'maybe'");
  EXPECT_EQ(o.epochs, 5);  // failed sets change nothing
  EXPECT_EQ(o.type, "lstm");
}

TEST(OptionTableTest, SettersReachTheirFields) {
  TrainOptions o;
  ASSERT_TRUE(set("architecture", "bigru", o).ok());
  ASSERT_TRUE(set("embed_dim", "7", o).ok());
  ASSERT_TRUE(set("num_words", "0", o).ok());
  ASSERT_TRUE(set("no_lower", "true", o).ok());
  ASSERT_TRUE(set("label_columns", "a,b,,c", o).ok());
  ASSERT_TRUE(set("truncating", "post", o).ok());
  ASSERT_TRUE(set("class_weight", "balanced", o).ok());
  ASSERT_TRUE(set("seed", "18446744073709551", o).ok());
  EXPECT_EQ(o.type, "bigru");
  EXPECT_EQ(o.embed_dim, 7);
  EXPECT_FALSE(o.tokenizer.num_words.has_value());
  EXPECT_FALSE(o.tokenizer.lower);
  EXPECT_EQ(o.label_columns, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(o.truncating, PadMode::kPost);
  EXPECT_TRUE(o.class_weight_balanced);
  EXPECT_EQ(o.seed, 18446744073709551u);
}

TEST(OptionTableTest, MarkdownHasOneRowPerOption) {
  const std::string md = training_options_markdown();
  size_t rows = 0;
  for (char c : md) rows += c == '\n';
  EXPECT_EQ(rows, training_options().size() + 2);
  EXPECT_NE(md.find("| `--model-type` (`--type`) | `model_type` (`architecture`) | lstm\\|bilstm\\|gru\\|bigru\\|cnn | `lstm` |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| `--embedding-dim` (`--embed-dim`) | `embedding_dim` (`embed_dim`) | INT | `32` |"),
            std::string::npos) << md;
}

}  // namespace
}  // namespace quiver::train
