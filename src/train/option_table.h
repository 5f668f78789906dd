// The training options, once: `quiver train` / `train-multilabel` / `predict --train-data`
// register their flags from this table and the serve config reads its `training:` section
// from it, so a flag and its YAML key have the same name (--embedding-dim / embedding_dim),
// default (read from TrainOptions{}), validation and error text; `quiver help options
// --markdown` prints the table that docs/training.md carries.
//
// Each option sets TrainOptions from text (a CLI value or a YAML scalar); errors are
// InvalidArgument without a location ("expected an integer >= 1, got 'abc'"), which the
// caller prefixes with the flag or the key path. Older spellings stay as aliases (--type,
// --embed-dim, training.architecture). Thread-safety: the table is immutable.
#ifndef QUIVER_TRAIN_OPTION_TABLE_H_
#define QUIVER_TRAIN_OPTION_TABLE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/train.h"

namespace quiver::train {

enum class OptionKind {
  kFlag,    // CLI: a flag (--mask-zero); YAML: true / false
  kValue,   // one value
  kList,    // CLI: a,b (or the flag repeated); YAML: a list or "a,b"
};

struct TrainingOption {
  std::string name;                      // snake_case: the YAML key; flag = --name-with-dashes
  std::vector<std::string> cli_aliases;  // older flags that still work ("--type")
  std::vector<std::string> yaml_aliases; // older keys that still work ("architecture")
  OptionKind kind = OptionKind::kValue;
  std::string value_text;                // for help and docs: INT, FLOAT, TEXT, LIST, FLAG
                                         // (bare on the CLI, true / false in YAML), a|b|c
  std::string help;
  std::function<Status(const std::string& value, TrainOptions& o)> set;
  std::function<std::string(const TrainOptions& o)> get;  // the value as text ("" = none)

  std::string flag() const;               // "--embedding-dim"
  std::string default_text() const;       // get(TrainOptions{})
};

// Every training option, in help order (data, tokenizer, sequences, architecture,
// optimisation).
const std::vector<TrainingOption>& training_options();

// The option named `name` (a YAML key, canonical or alias), or null.
const TrainingOption* find_training_key(std::string_view name);

// Every YAML key the training section accepts (canonical names and aliases).
std::vector<std::string> training_keys();

// The table as Markdown (docs/training.md "Options").
std::string training_options_markdown();

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_OPTION_TABLE_H_
