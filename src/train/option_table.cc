#include "train/option_table.h"

#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/suggest.h"

namespace quiver::train {
namespace {

using Set = std::function<Status(const std::string&, TrainOptions&)>;
using Get = std::function<std::string(const TrainOptions&)>;

Result<int64_t> parse_int(const std::string& s, int64_t min_value, int64_t max_value) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && end == s.data() + s.size() && v >= min_value && v <= max_value) {
    return v;
  }
  const std::string range = max_value >= INT_MAX ? ">= " + std::to_string(min_value)
                                                 : "in [" + std::to_string(min_value) + ", " +
                                                       std::to_string(max_value) + "]";
  return invalid_argument("expected an integer " + range + ", got '" + s + "'");
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A number in [lo, hi) (hi_open) or [lo, hi]; lo_open makes the lower end open.
Result<double> parse_number(const std::string& s, double lo, bool lo_open, double hi, bool hi_open) {
  char* end = nullptr;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  const bool parsed = !s.empty() && end == s.c_str() + s.size();
  const bool in_range = (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  if (parsed && in_range) return v;
  std::string range = hi >= 1e300 ? std::string(lo_open ? "> " : ">= ") + number_text(lo)
                                  : std::string("in ") + (lo_open ? "(" : "[") + number_text(lo) +
                                        ", " + number_text(hi) + (hi_open ? ")" : "]");
  return invalid_argument("expected a number " + range + ", got '" + s + "'");
}

Result<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  return invalid_argument("expected true or false, got '" + s + "'");
}

Result<std::string> parse_choice(const std::string& s, const std::vector<std::string>& choices) {
  for (const auto& c : choices) {
    if (s == c) return s;
  }
  return invalid_argument("expected " + base::or_list(choices) + ", got '" + s + "'");
}

// Builders: `field` returns the TrainOptions member an option stands for.
template <typename T, typename F>
TrainingOption integer(std::string name, std::string help, F field, int64_t min_value,
                       int64_t max_value = INT_MAX) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.value_text = "INT";
  o.set = [=](const std::string& s, TrainOptions& t) -> Status {
    QUIVER_ASSIGN_OR_RETURN(int64_t v, parse_int(s, min_value, max_value));
    field(t) = static_cast<T>(v);
    return Status();
  };
  o.get = [=](const TrainOptions& t) { return std::to_string(field(t)); };
  return o;
}

template <typename T, typename F>
TrainingOption number(std::string name, std::string help, F field, double lo, bool lo_open,
                      double hi, bool hi_open) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.value_text = "FLOAT";
  o.set = [=](const std::string& s, TrainOptions& t) -> Status {
    QUIVER_ASSIGN_OR_RETURN(double v, parse_number(s, lo, lo_open, hi, hi_open));
    field(t) = static_cast<T>(v);
    return Status();
  };
  o.get = [=](const TrainOptions& t) { return number_text(field(t)); };
  return o;
}

template <typename F>
TrainingOption text(std::string name, std::string help, F field) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.value_text = "TEXT";
  o.set = [=](const std::string& s, TrainOptions& t) -> Status {
    field(t) = s;
    return Status();
  };
  o.get = [=](const TrainOptions& t) { return field(t); };
  return o;
}

template <typename F>
TrainingOption flag(std::string name, std::string help, F field) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.kind = OptionKind::kFlag;
  o.value_text = "FLAG";
  o.set = [=](const std::string& s, TrainOptions& t) -> Status {
    QUIVER_ASSIGN_OR_RETURN(bool v, parse_bool(s));
    field(t) = v;
    return Status();
  };
  o.get = [=](const TrainOptions& t) { return field(t) ? "true" : "false"; };
  return o;
}

TrainingOption choice(std::string name, std::string help, std::vector<std::string> choices,
                      std::function<void(const std::string&, TrainOptions&)> store, Get get) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  for (const auto& c : choices) o.value_text += (o.value_text.empty() ? "" : "|") + c;
  o.set = [=](const std::string& s, TrainOptions& t) -> Status {
    QUIVER_ASSIGN_OR_RETURN(std::string v, parse_choice(s, choices));
    store(v, t);
    return Status();
  };
  o.get = std::move(get);
  return o;
}

TrainingOption custom(std::string name, std::string help, OptionKind kind, std::string value_text,
                      Set set, Get get) {
  TrainingOption o;
  o.name = std::move(name);
  o.help = std::move(help);
  o.kind = kind;
  o.value_text = std::move(value_text);
  o.set = std::move(set);
  o.get = std::move(get);
  return o;
}

TrainingOption pad_choice(std::string name, std::string help, PadMode TrainOptions::*field) {
  return choice(
      std::move(name), std::move(help), {"pre", "post"},
      [field](const std::string& v, TrainOptions& t) {
        t.*field = v == "post" ? PadMode::kPost : PadMode::kPre;
      },
      [field](const TrainOptions& t) { return std::string(t.*field == PadMode::kPost ? "post" : "pre"); });
}

TrainingOption with_aliases(TrainingOption o, std::vector<std::string> cli,
                            std::vector<std::string> yaml = {}) {
  o.cli_aliases = std::move(cli);
  o.yaml_aliases = std::move(yaml);
  return o;
}

std::vector<TrainingOption> make_table() {
  using T = TrainOptions;
  std::vector<TrainingOption> v;
  // Data.
  v.push_back(text("text_column", "CSV column with the text", [](auto& t) -> auto& { return t.text_column; }));
  v.push_back(text("label_column", "CSV column with the label ('|'-joined labels: multi-label)",
                   [](auto& t) -> auto& { return t.label_column; }));
  v.push_back(custom(
      "label_columns", "multi-label from several 0/1 columns (a,b,c)", OptionKind::kList, "LIST",
      [](const std::string& s, T& t) -> Status {
        t.label_columns.clear();
        for (size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
          comma = s.find(',', start);
          std::string part = s.substr(start, comma == std::string::npos ? comma : comma - start);
          if (!part.empty()) t.label_columns.push_back(part);
        }
        return Status();
      },
      [](const T& t) {
        std::string s;
        for (const auto& c : t.label_columns) s += (s.empty() ? "" : ",") + c;
        return s;
      }));
  v.push_back(flag("multi_label", "treat the label column as '|'-joined labels",
                   [](auto& t) -> auto& { return t.multi_label; }));
  v.push_back(flag("skip_bad_rows",
                   "skip (and count) rows with a wrong column count, an empty text or no label "
                   "instead of failing",
                   [](auto& t) -> auto& { return t.skip_bad_rows; }));
  v.push_back(text("validation", "validation CSV (else validation_split; serve: relative to the config)",
                   [](auto& t) -> auto& { return t.validation_path; }));
  v.push_back(number<double>("validation_split", "validate on the last fraction of the rows",
                             [](auto& t) -> auto& { return t.validation_split; }, 0, false, 1, true));
  // Tokenizer.
  v.push_back(custom(
      "num_words", "tokenizer num_words (0 = every word)", OptionKind::kValue, "INT",
      [](const std::string& s, T& t) -> Status {
        QUIVER_ASSIGN_OR_RETURN(int64_t n, parse_int(s, 0, INT_MAX));
        t.tokenizer.num_words = n > 0 ? std::optional<int64_t>(n) : std::nullopt;
        return Status();
      },
      [](const T& t) { return std::to_string(t.tokenizer.num_words.value_or(0)); }));
  v.push_back(custom(
      "oov_token", "tokenizer oov_token (\"\" = none)", OptionKind::kValue, "TEXT",
      [](const std::string& s, T& t) -> Status {
        t.tokenizer.oov_token = s.empty() ? std::nullopt : std::optional<std::string>(s);
        return Status();
      },
      [](const T& t) { return t.tokenizer.oov_token.value_or(""); }));
  v.push_back(flag("char_level", "character-level tokenizer", [](auto& t) -> auto& { return t.tokenizer.char_level; }));
  v.push_back(custom(
      "no_lower", "do not lower-case", OptionKind::kFlag, "FLAG",
      [](const std::string& s, T& t) -> Status {
        QUIVER_ASSIGN_OR_RETURN(bool v, parse_bool(s));
        t.tokenizer.lower = !v;
        return Status();
      },
      [](const T& t) { return std::string(t.tokenizer.lower ? "false" : "true"); }));
  v.push_back(text("tokenizer_filters", "characters the tokenizer removes",
                   [](auto& t) -> auto& { return t.tokenizer.filters; }));
  v.push_back(text("split", "tokenizer word separator", [](auto& t) -> auto& { return t.tokenizer.split; }));
  // Sequences (Keras pad_sequences).
  v.push_back(integer<int64_t>("maxlen",
                               "every sequence padded / truncated to exactly this length "
                               "(0 = the longest training text)",
                               [](auto& t) -> auto& { return t.maxlen; }, 0));
  v.push_back(pad_choice("padding", "where padding goes", &T::padding));
  v.push_back(pad_choice("truncating", "which end a long sequence loses", &T::truncating));
  // Architecture.
  v.push_back(with_aliases(
      choice("model_type", "the network: Embedding -> this -> Dense",
             {"lstm", "bilstm", "gru", "bigru", "cnn"},
             [](const std::string& s, T& t) { t.type = s; }, [](const T& t) { return t.type; }),
      {"--type"}, {"architecture"}));
  v.push_back(with_aliases(integer<int>("embedding_dim", "Embedding output size",
                                        [](auto& t) -> auto& { return t.embed_dim; }, 1),
                           {"--embed-dim"}, {"embed_dim"}));
  v.push_back(integer<int>("units", "recurrent units (per direction)", [](auto& t) -> auto& { return t.units; }, 1));
  v.push_back(integer<int>("filters", "cnn: Conv1D filters", [](auto& t) -> auto& { return t.filters; }, 1));
  v.push_back(integer<int>("kernel_size", "cnn: Conv1D kernel size", [](auto& t) -> auto& { return t.kernel_size; }, 1));
  v.push_back(number<float>("dropout", "RNN input dropout (cnn: Dropout before Dense)",
                            [](auto& t) -> auto& { return t.dropout; }, 0, false, 1, true));
  v.push_back(number<float>("recurrent_dropout", "RNN recurrent dropout",
                            [](auto& t) -> auto& { return t.recurrent_dropout; }, 0, false, 1, true));
  v.push_back(number<float>("spatial_dropout", "SpatialDropout1D rate (0 = none)",
                            [](auto& t) -> auto& { return t.spatial_dropout; }, 0, false, 1, true));
  v.push_back(flag("mask_zero", "Embedding(mask_zero=True)", [](auto& t) -> auto& { return t.mask_zero; }));
  v.push_back(flag("binary_sigmoid", "a binary task as one sigmoid unit",
                   [](auto& t) -> auto& { return t.binary_sigmoid; }));
  // Optimisation.
  v.push_back(integer<int>("epochs", "epochs", [](auto& t) -> auto& { return t.epochs; }, 1));
  v.push_back(integer<int>("batch_size", "batch size", [](auto& t) -> auto& { return t.batch_size; }, 1));
  v.push_back(number<float>("learning_rate", "Adam learning rate",
                            [](auto& t) -> auto& { return t.learning_rate; }, 0, true, 1e308, false));
  v.push_back(integer<uint64_t>("seed", "random seed (same seed, same weights)",
                                [](auto& t) -> auto& { return t.seed; }, 0, INT64_MAX));
  v.push_back(integer<int>("patience", "early stopping patience on val_loss (0 = off)",
                           [](auto& t) -> auto& { return t.patience; }, 0));
  v.push_back(choice("class_weight", "per-class loss weights (sklearn 'balanced')", {"none", "balanced"},
                     [](const std::string& s, T& t) { t.class_weight_balanced = s == "balanced"; },
                     [](const T& t) { return std::string(t.class_weight_balanced ? "balanced" : "none"); }));
  v.push_back(integer<int>("threads", "threads (0 = all cores; the result does not depend on it)",
                           [](auto& t) -> auto& { return t.threads; }, 0, 1024));
  return v;
}

std::string markdown_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace

std::string TrainingOption::flag() const {
  std::string f = "--" + name;
  for (char& c : f) {
    if (c == '_') c = '-';
  }
  return f;
}

std::string TrainingOption::default_text() const { return get(TrainOptions{}); }

const std::vector<TrainingOption>& training_options() {
  static const std::vector<TrainingOption> table = make_table();
  return table;
}

const TrainingOption* find_training_key(std::string_view name) {
  for (const auto& o : training_options()) {
    if (o.name == name) return &o;
    for (const auto& a : o.yaml_aliases) {
      if (a == name) return &o;
    }
  }
  return nullptr;
}

std::vector<std::string> training_keys() {
  std::vector<std::string> keys;
  for (const auto& o : training_options()) {
    keys.push_back(o.name);
    keys.insert(keys.end(), o.yaml_aliases.begin(), o.yaml_aliases.end());
  }
  return keys;
}

std::string training_options_markdown() {
  std::string out =
      "| flag | `training:` key | value | default | meaning |\n"
      "|---|---|---|---|---|\n";
  for (const auto& o : training_options()) {
    std::string flags = "`" + o.flag() + "`";
    for (const auto& a : o.cli_aliases) flags += " (`" + a + "`)";
    std::string key = "`" + o.name + "`";
    for (const auto& a : o.yaml_aliases) key += " (`" + a + "`)";
    std::string def = o.default_text();
    if (o.name == "tokenizer_filters") def = "Keras' punctuation, tab, newline";
    else def = def.empty() ? "\"\"" : "`" + markdown_cell(def) + "`";
    if (o.name == "split") def = "`\" \"`";
    out += "| " + flags + " | " + key + " | " + markdown_cell(o.value_text) + " | " + def + " | " +
           markdown_cell(o.help) + " |\n";
  }
  return out;
}

}  // namespace quiver::train
