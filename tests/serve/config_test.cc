// Tests for src/serve/config.cc: every key, and the exact error messages.
#include "serve/config.h"
#include "serve/training_hooks.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "testutil.h"

namespace quiver::serve {
namespace {

Result<ServeConfig> parse(const std::string& text) {
  return parse_config_text(text, "x.yaml", "/etc/quiver");
}

std::string error_of(const std::string& text) { return parse(text).status().message(); }

TEST(ConfigTest, MinimalConfigFromTheIssue) {
  auto c = parse(R"(
server: {host: 127.0.0.1, port: 8500}
models:
  - name: B
    model: models/B.h5
    tokenizer: models/B.tokenizer.json
    train_data: data/B.csv
    train_if_missing: true
    labels: [Negative, Positive]
)");
  ASSERT_OK(c);
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8500);
  ASSERT_EQ(c->models.size(), 1u);
  const ModelConfig& m = c->models[0];
  EXPECT_EQ(m.name, "B");
  EXPECT_EQ(m.model_path, "/etc/quiver/models/B.h5");
  EXPECT_EQ(m.tokenizer_path, "/etc/quiver/models/B.tokenizer.json");
  EXPECT_EQ(m.train_data_path, "/etc/quiver/data/B.csv");
  EXPECT_TRUE(m.train_if_missing);
  EXPECT_EQ(m.labels, (std::vector<std::string>{"Negative", "Positive"}));
  EXPECT_FALSE(m.multi_label);
}

TEST(ConfigTest, EveryKeyIsRead) {
  auto c = parse(R"(
server:
  host: 0.0.0.0
  port: 0
  threads: 4
  max_batch_size: 128
  max_queue_delay_us: 250
  max_queue: 64
  request_timeout_ms: 5000
  poll_interval_ms: 1000
  admin_token: secret
  limits: {max_body_bytes: 2048, max_instances: 16, max_text_bytes: 512}
models:
  - name: tags.v2-x_1
    model: /abs/m.h5
    architecture: arch.json
    train_data: d.csv
    num_words: 2000
    golden: g.jsonl
    golden_tolerance: 0.001
    train_if_missing: yes
    training: {architecture: bigru, epochs: 3, batch_size: 16, embedding_dim: 8, units: 4,
               maxlen: 40, learning_rate: 0.01, seed: 7, text_column: t, label_column: y}
    labels: [a, b, c]
    maxlen: 40
    padding: post
    truncating: post
    thresholds: [0.3, 0.4, 0.5]
    max_batch_size: 8
    max_queue_delay_us: 0
    max_queue: 4
)");
  ASSERT_OK(c);
  const ServerConfig& s = c->server;
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.threads, 4);
  EXPECT_EQ(s.max_batch_size, 128);
  EXPECT_EQ(s.max_queue_delay_us, 250);
  EXPECT_EQ(s.max_queue, 64);
  EXPECT_EQ(s.request_timeout_ms, 5000);
  EXPECT_EQ(s.poll_interval_ms, 1000);
  EXPECT_EQ(s.admin_token, "secret");
  EXPECT_EQ(s.limits.max_body_bytes, 2048);
  EXPECT_EQ(s.limits.max_instances, 16);
  EXPECT_EQ(s.limits.max_text_bytes, 512);
  const ModelConfig& m = c->models[0];
  EXPECT_EQ(m.model_path, "/abs/m.h5");
  EXPECT_EQ(m.architecture_path, "/etc/quiver/arch.json");
  EXPECT_EQ(m.golden_path, "/etc/quiver/g.jsonl");
  EXPECT_DOUBLE_EQ(m.golden_tolerance, 0.001);
  EXPECT_EQ(*m.num_words, 2000);
  EXPECT_EQ(m.training.type, "bigru");
  EXPECT_EQ(m.training.epochs, 3);
  EXPECT_EQ(m.training.batch_size, 16);
  EXPECT_EQ(m.training.embed_dim, 8);
  EXPECT_EQ(m.training.units, 4);
  EXPECT_EQ(m.training.maxlen, 40);
  EXPECT_FLOAT_EQ(m.training.learning_rate, 0.01f);
  EXPECT_EQ(m.training.seed, 7u);
  EXPECT_EQ(m.training.text_column, "t");
  EXPECT_EQ(m.training.label_column, "y");
  EXPECT_EQ(*m.maxlen, 40);
  EXPECT_EQ(*m.padding, PadMode::kPost);
  EXPECT_EQ(*m.truncating, PadMode::kPost);
  EXPECT_TRUE(m.multi_label);
  EXPECT_EQ(m.thresholds, (std::vector<double>{0.3, 0.4, 0.5}));
  EXPECT_EQ(*m.max_batch_size, 8);
  EXPECT_EQ(*m.max_queue_delay_us, 0);
  EXPECT_EQ(*m.max_queue, 4);
}

// The `training:` section reads the CLI's option table: new names, old names as aliases,
// the table's defaults and messages.
TEST(ConfigTest, TrainingKeysAreTheTrainingFlags) {
  auto c = parse(R"(
models:
  - name: a
    model: a.h5
    architecture_file: a.json
    training: {model_type: cnn, embedding_dim: 16, filters: 12, kernel_size: 3, mask_zero: true,
               label_columns: [x, y], num_words: 0, oov_token: "<oov>", dropout: 0.5,
               class_weight: balanced, skip_bad_rows: true, validation_split: 0.2, patience: 2}
  - name: b
    model: b.h5
    training: {embed_dim: 24, validation: v.csv}
  - name: c
    model: c.h5
)");
  ASSERT_OK(c);
  const TrainOptions& t = c->models[0].training;
  EXPECT_EQ(c->models[0].architecture_path, "/etc/quiver/a.json");
  EXPECT_EQ(t.type, "cnn");
  EXPECT_EQ(t.embed_dim, 16);
  EXPECT_EQ(t.filters, 12);
  EXPECT_EQ(t.kernel_size, 3);
  EXPECT_TRUE(t.mask_zero);
  EXPECT_EQ(t.label_columns, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(t.tokenizer.num_words.has_value());
  EXPECT_EQ(*t.tokenizer.oov_token, "<oov>");
  EXPECT_FLOAT_EQ(t.dropout, 0.5f);
  EXPECT_TRUE(t.class_weight_balanced);
  EXPECT_TRUE(t.skip_bad_rows);
  EXPECT_DOUBLE_EQ(t.validation_split, 0.2);
  EXPECT_EQ(t.patience, 2);
  EXPECT_EQ(c->models[1].training.embed_dim, 24);
  EXPECT_EQ(c->models[1].training.validation_path, "/etc/quiver/v.csv");  // like every path
  // One set of defaults: the CLI's (TrainOptions{}), whatever the section says nothing of.
  const TrainOptions& d = c->models[2].training;
  EXPECT_EQ(d.type, "lstm");
  EXPECT_EQ(d.embed_dim, 32);
  EXPECT_EQ(d.units, 32);
  EXPECT_EQ(d.epochs, 5);
  EXPECT_EQ(d.maxlen, 0);
  EXPECT_EQ(*d.tokenizer.num_words, 2000);
}

TEST(ConfigTest, TrainingValuesAreCheckedByTheTable) {
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {epochs: 0}}]"),
            "x.yaml: models[0].training.epochs: expected an integer >= 1, got '0'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {model_type: rnn}}]"),
            "x.yaml: models[0].training.model_type: expected lstm, bilstm, gru, bigru or cnn, "
            "got 'rnn'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {dropout: 1}}]"),
            "x.yaml: models[0].training.dropout: expected a number in [0, 1), got '1'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {learning_rate: 0}}]"),
            "x.yaml: models[0].training.learning_rate: expected a number > 0, got '0'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {mask_zero: maybe}}]"),
            "x.yaml: models[0].training.mask_zero: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {model_type: gru, "
                     "architecture: cnn}}]"),
            "x.yaml: models[0].training.architecture: 'model_type' is given twice (also as an "
            "alias)");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {embeding_dim: 8}}]"),
            "x.yaml: models[0].training.embeding_dim: unknown key 'embeding_dim' (did you mean "
            "'embedding_dim'?)");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, architecture: a.json, "
                     "architecture_file: b.json}]"),
            "x.yaml: models[0].architecture: give architecture_file or architecture, not both");
}

TEST(ConfigTest, DefaultsWhenServerIsAbsent) {
  auto c = parse("models: [{name: a, model: a.h5, threshold: 0.7}]");
  ASSERT_OK(c);
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8500);
  EXPECT_TRUE(c->models[0].multi_label);
  EXPECT_EQ(c->models[0].thresholds, (std::vector<double>{0.7}));
}

TEST(ConfigTest, UnknownKeysAreNamed) {
  EXPECT_EQ(error_of("colour: red\nmodels: []"), "x.yaml: colour: unknown key 'colour'");
  EXPECT_EQ(error_of("server: {prot: 1}\nmodels: []"), "x.yaml: server.prot: unknown key 'prot' (did you mean 'port'?)");
  EXPECT_EQ(error_of("server: {limits: {max_bodybytes: 1}}\nmodels: []"),
            "x.yaml: server.limits.max_bodybytes: unknown key 'max_bodybytes' (did you mean "
            "'max_body_bytes'?)");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, modle: b.h5}]"),
            "x.yaml: models[0].modle: unknown key 'modle' (did you mean 'model'?)");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {epoch: 3}}]"),
            "x.yaml: models[0].training.epoch: unknown key 'epoch' (did you mean 'epochs'?)");
}

// A misspelt required key is reported as unknown (with a hint), not as the key it was
// meant to be being missing, and before any value is checked.
TEST(ConfigTest, UnknownKeysAreReportedBeforeMissingOnes) {
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5}, {name: b, modle: b.h5}]"),
            "x.yaml: models[1].modle: unknown key 'modle' (did you mean 'model'?)");
  EXPECT_EQ(error_of("models: [{nmae: a, model: a.h5}]"),
            "x.yaml: models[0].nmae: unknown key 'nmae' (did you mean 'name'?)");
  EXPECT_EQ(error_of("modles: [{name: a, model: a.h5}]"),
            "x.yaml: modles: unknown key 'modles' (did you mean 'models'?)");
  EXPECT_EQ(error_of("server: {prot: x, port: y}\nmodels: []"),
            "x.yaml: server.prot: unknown key 'prot' (did you mean 'port'?)");
  EXPECT_EQ(error_of("models: []\ngroups: [{nam: g, members: [a]}]"),
            "x.yaml: groups[0].nam: unknown key 'nam' (did you mean 'name'?)");
}

TEST(ConfigTest, BadValuesAreNamed) {
  EXPECT_EQ(error_of("server: {port: 70000}\nmodels: []"),
            "x.yaml: server.port: expected an integer <= 65535, got '70000'");
  EXPECT_EQ(error_of("server: {threads: two}\nmodels: []"),
            "x.yaml: server.threads: expected an integer >= 1, got 'two'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, maxlen: abc}]"),
            "x.yaml: models[0].maxlen: expected an integer >= 1, got 'abc'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, padding: middle}]"),
            "x.yaml: models[0].padding: expected 'pre' or 'post', got 'middle'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, train_if_missing: maybe}]"),
            "x.yaml: models[0].train_if_missing: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, labels: neg}]"),
            "x.yaml: models[0].labels: expected a list of strings");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, thresholds: [x]}]"),
            "x.yaml: models[0].thresholds: expected a list of numbers, got 'x'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, training: {architecture: rnn}}]"),
            "x.yaml: models[0].training.architecture: expected lstm, bilstm, gru, bigru or cnn, "
            "got 'rnn'");
}

// ModelConfig::entry: what a config says about one model, so a reload can tell an
// unchanged entry from a changed one.
TEST(ConfigTest, EntryTextTellsChangedModelsApart) {
  const std::string a = "models:\n  - {name: a, model: a.h5}\n";
  auto one = parse_config_text(a + "  - {name: b, model: b.h5}\n", "x.yaml", "/m");
  auto two = parse_config_text(a + "  - {name: b, model: b.h5, maxlen: 9}\n", "x.yaml", "/m");
  auto moved = parse_config_text(a + "  - {name: b, model: b.h5}\n", "x.yaml", "/other");
  ASSERT_TRUE(one.ok() && two.ok() && moved.ok());
  EXPECT_FALSE(one->models[0].entry.empty());
  EXPECT_EQ(one->models[0].entry, two->models[0].entry);
  EXPECT_NE(one->models[1].entry, two->models[1].entry);
  EXPECT_NE(one->models[1].entry, moved->models[1].entry);  // relative paths resolve elsewhere
}

// memory_policy per model or from server.memory_policy, memory_budget_mb per model; the
// command line's overrides (quiver serve --memory-policy / --memory-budget-mb) change only
// what entries leave unset, and an inherited change makes the entry differ (a rebuild).
TEST(ConfigTest, MemoryPolicyAndBudgetPerModelOrFromTheServer) {
  const std::string text =
      "server: {memory_policy: lazy}\n"
      "models:\n"
      "  - {name: a, model: a.h5}\n"
      "  - {name: b, model: b.h5, memory_policy: none, memory_budget_mb: 2.5}\n";
  auto c = parse(text);
  ASSERT_OK(c);
  EXPECT_EQ(c->server.memory_policy, MemoryPolicy::kTablesLazy);
  EXPECT_EQ(c->models[0].memory_policy, MemoryPolicy::kTablesLazy);
  EXPECT_EQ(c->models[0].memory_budget_bytes, 0);
  EXPECT_EQ(c->models[1].memory_policy, MemoryPolicy::kNoTables);
  EXPECT_EQ(c->models[1].memory_budget_bytes, 2621440);
  auto defaults = parse("models: [{name: a, model: a.h5}]");
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->models[0].memory_policy, MemoryPolicy::kAuto);

  ServeConfig overridden = *c;
  apply_memory_overrides({MemoryPolicy::kTablesFp32, int64_t{1} << 20}, &overridden);
  EXPECT_EQ(overridden.models[0].memory_policy, MemoryPolicy::kTablesFp32);
  EXPECT_EQ(overridden.models[0].memory_budget_bytes, 1 << 20);
  EXPECT_EQ(overridden.models[1].memory_policy, MemoryPolicy::kNoTables);  // its own
  EXPECT_EQ(overridden.models[1].memory_budget_bytes, 2621440);
  EXPECT_NE(overridden.models[0].entry, c->models[0].entry);
  EXPECT_EQ(overridden.models[1].entry, c->models[1].entry);

  EXPECT_EQ(error_of("server: {memory_policy: int8}\nmodels: []"),
            "x.yaml: server.memory_policy: expected auto, fp32, bf16, lazy or none, got 'int8'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, memory_policy: tables}]"),
            "x.yaml: models[0].memory_policy: expected auto, fp32, bf16, lazy or none, got "
            "'tables'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, memory_budget_mb: -1}]"),
            "x.yaml: models[0].memory_budget_mb: expected a number of MiB >= 0");
}

TEST(ConfigTest, ModelNamesAreNeverPaths) {
  EXPECT_EQ(error_of("models: [{name: ../etc, model: a.h5}]"),
            "x.yaml: models[0].name: expected a name of [A-Za-z0-9_.-]+, got '../etc'");
  EXPECT_EQ(error_of("models: [{name: '..', model: a.h5}]"),
            "x.yaml: models[0].name: expected a name of [A-Za-z0-9_.-]+, got '..'");
  EXPECT_EQ(error_of("models: [{model: a.h5}]"),
            "x.yaml: models[0].name: expected a name of [A-Za-z0-9_.-]+, got ''");
  EXPECT_TRUE(valid_model_name("imdb.v2_A-1"));
  EXPECT_FALSE(valid_model_name("a/b"));
  EXPECT_FALSE(valid_model_name("a b"));
}

TEST(ConfigTest, StructuralErrors) {
  EXPECT_EQ(error_of("server: {}"), "x.yaml: models: missing");
  EXPECT_EQ(error_of("models: {a: 1}"), "x.yaml: models: expected a list");
  EXPECT_EQ(error_of("[1, 2]"), "x.yaml: expected a mapping with 'server' and 'models'");
  EXPECT_EQ(error_of("models: [{name: a}]"), "x.yaml: models[0].model: missing (the model file)");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5}, {name: a, model: b.h5}]"),
            "x.yaml: models[1].name: duplicate name 'a'");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, train_if_missing: true}]"),
            "x.yaml: models[0].train_if_missing: needs train_data");
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, threshold: 0.5, thresholds: [0.5]}]"),
            "x.yaml: models[0].thresholds: give threshold or thresholds, not both");
  EXPECT_EQ(error_of("models: [a, b]"), "x.yaml: models[0]: expected a mapping");
  EXPECT_STATUS(parse("models: [unclosed"), kInvalidArgument, "x.yaml: line ");
}

TEST(ConfigTest, SegmenterAndUserDictPerModel) {
  auto c = parse(R"(
models:
  - {name: zh, model: zh.h5, segmenter: jieba-search, user_dict: dicts/user.txt}
  - {name: raw, model: raw.h5}
)");
  ASSERT_OK(c);
  EXPECT_EQ(c->models[0].segmenter, "jieba-search");
  EXPECT_EQ(c->models[0].user_dict_path, "/etc/quiver/dicts/user.txt");
  EXPECT_FALSE(c->models[1].segmenter.has_value());  // the model file's, else none
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, segmenter: cjk-chars, user_dict: u.txt}]"),
            "x.yaml: models[0].user_dict: needs segmenter jieba, jieba-nohmm or jieba-search");
  EXPECT_STATUS(parse("models: [{name: a, model: a.h5, segmenter: words}]"), kInvalidArgument,
                "x.yaml: models[0].segmenter: unknown segmenter 'words' (valid: none, jieba");
}

TEST(ConfigTest, WeightModesLoosenTheDefaultGoldenTolerance) {
  auto c = parse(R"(
models:
  - {name: a, model: a.h5, weights: bf16}
  - {name: b, model: b.h5, weights: int8, golden_tolerance: 0.001}
  - {name: c, model: c.h5}
)");
  ASSERT_OK(c);
  EXPECT_EQ(c->models[0].weights, WeightMode::kBf16);
  EXPECT_EQ(c->models[0].golden_tolerance, kReducedGoldenTolerance);
  EXPECT_EQ(c->models[1].weights, WeightMode::kInt8);
  EXPECT_EQ(c->models[1].golden_tolerance, 0.001);
  EXPECT_EQ(c->models[2].weights, WeightMode::kFp32);
  EXPECT_EQ(c->models[2].golden_tolerance, 1e-5);
  EXPECT_EQ(error_of("models: [{name: a, model: a.h5, weights: fp16}]"),
            "x.yaml: models[0].weights: expected fp32, bf16 or int8, got 'fp16'");
}

TEST(ConfigTest, GroupsOfMembersOrOneModelWithShadowAndDefault) {
  const std::string models = "models: [{name: a, model: a.h5}, {name: b, model: b.h5}, "
                             "{name: ab, model: ab.h5}]\n";
  auto c = parse(models + R"(groups:
  - {name: bin, members: [a, b], shadow: ab, shadow_max_queue: 8}
  - {name: ml, model: ab, default: true, labels: [neg, pos]}
)");
  ASSERT_OK(c);
  ASSERT_EQ(c->groups.size(), 2u);
  EXPECT_EQ(c->groups[0].members, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->groups[0].shadow, "ab");
  EXPECT_EQ(c->groups[0].shadow_max_queue, 8);
  EXPECT_EQ(c->groups[0].labels, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(c->groups[1].model, "ab");
  EXPECT_EQ(c->default_group(), &c->groups[1]);
  auto one = parse(models + "groups: [{name: g, members: [a]}]");
  ASSERT_OK(one);
  EXPECT_EQ(one->default_group(), &one->groups[0]);  // the only group
  auto err = [&](const std::string& groups) { return error_of(models + groups); };
  EXPECT_EQ(err("groups: [{name: g, members: [a, zz]}]"),
            "x.yaml: groups[0].members: 'zz' is not in models");
  EXPECT_EQ(err("groups: [{name: g, members: [a], model: ab}]"),
            "x.yaml: groups[0].model: give members (binary models) or model (one multi-label "
            "model), not both");
  EXPECT_EQ(err("groups: [{name: g}]"),
            "x.yaml: groups[0].members: give members (binary models) or model (one multi-label "
            "model), not both");
  EXPECT_EQ(err("groups: [{name: g, model: ab, shadow: ab}]"),
            "x.yaml: groups[0].shadow: 'ab' already serves the group");
  EXPECT_EQ(err("groups: [{name: g, model: ab, default: true}, {name: h, model: ab, default: true}]"),
            "x.yaml: groups[1].default: only one group can be the default");
  EXPECT_EQ(err("groups: [{name: g, model: ab}, {name: g, model: ab}]"),
            "x.yaml: groups[1].name: duplicate name 'g'");
  EXPECT_EQ(err("groups: [{name: g, model: ab, labels: [x]}]"),
            "x.yaml: groups[0].labels: expected 2 names (negative, positive)");
  EXPECT_EQ(err("groups: [{name: g, model: ab, modle: x}]"),
            "x.yaml: groups[0].modle: unknown key 'modle' (did you mean 'model'?)");
}

TEST(ConfigTest, LoadModesBudgetAndTheServerDefault) {
  auto c = parse(R"(
server: {load: on_demand, memory_budget_mb: 1.5, load_timeout_ms: 500, idle_unload_s: 60}
models:
  - {name: a, model: a.h5}
  - {name: b, model: b.h5, load: eager}
)");
  ASSERT_OK(c);
  EXPECT_EQ(c->server.memory_budget_bytes, 1572864);  // 1.5 MiB
  EXPECT_EQ(c->server.load_timeout_ms, 500);
  EXPECT_EQ(c->server.idle_unload_s, 60);
  EXPECT_EQ(c->models[0].load, LoadMode::kOnDemand);  // server.load
  EXPECT_EQ(c->models[1].load, LoadMode::kEager);     // its own
  auto d = parse("models:\n  - {name: a, model: a.h5}\n");
  ASSERT_OK(d);
  EXPECT_EQ(d->models[0].load, LoadMode::kEager);
  EXPECT_EQ(d->server.memory_budget_bytes, 0);
  EXPECT_EQ(error_of("server: {load: later}\nmodels: []\n"),
            "x.yaml: server.load: expected eager or on_demand, got 'later'");
  EXPECT_EQ(error_of("server: {memory_budget_mb: 0}\nmodels: []\n"),
            "x.yaml: server.memory_budget_mb: expected a number of MiB > 0 and <= 1073741824, "
            "got '0'");
  // A group pins its models: they cannot be on demand.
  EXPECT_EQ(error_of("models:\n  - {name: a, model: a.h5, load: on_demand}\n"
                     "groups:\n  - {name: g, members: [a]}\n"),
            "x.yaml: groups[0].members: 'a' is load: on_demand; a group's models stay loaded, "
            "give it load: eager");
}

TEST(ConfigTest, LoadResolvesAgainstTheFileFolderAndReadsTheTokenFromTheEnvironment) {
  testutil::TempDir dir;
  { std::ofstream(dir.file("serve.yaml")) << "models: [{name: a, model: sub/a.h5}]\n"; }
  ::setenv("QUIVER_ADMIN_TOKEN", "from-env", 1);
  auto c = load_config(dir.file("serve.yaml"));
  ::unsetenv("QUIVER_ADMIN_TOKEN");
  ASSERT_OK(c);
  EXPECT_EQ(c->models[0].model_path, dir.path() + "/sub/a.h5");
  EXPECT_EQ(c->server.admin_token, "from-env");
  EXPECT_EQ(c->path, dir.file("serve.yaml"));
  EXPECT_STATUS(load_config(dir.file("missing.yaml")), kNotFound, "missing.yaml: no such file");
}

}  // namespace
}  // namespace quiver::serve

namespace quiver::serve {
namespace {

// train_if_missing's trainer and tokenizer fitting read the CSV with the trainer's row
// rules: a wrong column count or an empty text names the file and line, unless the
// training section sets skip_bad_rows.
TEST(TrainingHooksTest, BadCsvRowsNameFileAndLine) {
  testutil::TempDir dir;
  std::ofstream(dir.file("d.csv")) << "text,label\ngood film,pos\ngood,film,pos\nbad film,neg\n";
  auto c = parse_config_text("models: [{name: a, model: m/a.h5, train_data: d.csv, "
                             "train_if_missing: true, training: {epochs: 1, units: 2, "
                             "embedding_dim: 2}}]",
                             "x.yaml", dir.path());
  ASSERT_OK(c);
  const std::string expected = dir.file("d.csv") +
                               ":3: record has 3 fields, header has 2 (to skip such rows: "
                               "--skip-bad-rows, or skip_bad_rows: true under training:)";
  TrainingHooks hooks = training_hooks();
  Status trained = hooks.train(c->models[0]);
  EXPECT_NE(trained.message().find(expected), std::string::npos) << trained.to_string();
  EXPECT_EQ(hooks.fit_tokenizer(c->models[0]).status().message(), expected);
  EXPECT_FALSE(std::filesystem::exists(dir.file("m/a.h5")));
}

TEST(TrainingHooksTest, ModelLevelKeysWinOverTheTrainingSection) {
  auto c = parse("models: [{name: a, model: a.h5, train_data: d.csv, num_words: 50, maxlen: 9, "
                 "padding: post, training: {num_words: 10, maxlen: 4, padding: pre, units: 3}}]");
  ASSERT_OK(c);
  TrainOptions o = train_options_for(c->models[0]);
  EXPECT_EQ(*o.tokenizer.num_words, 50);
  EXPECT_EQ(o.maxlen, 9);
  EXPECT_EQ(o.padding, PadMode::kPost);
  EXPECT_EQ(o.units, 3);
}

}  // namespace
}  // namespace quiver::serve
