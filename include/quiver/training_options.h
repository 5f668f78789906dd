// Training options by name: the one vocabulary that `quiver train`'s flags, the serve
// config's `training:` keys and the Python module's keyword arguments share (`quiver help
// options` lists them, docs/training.md "Options").
//
// Thread-safety: pure functions over an immutable table.
#ifndef QUIVER_TRAINING_OPTIONS_H_
#define QUIVER_TRAINING_OPTIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"
#include "quiver/train.h"

namespace quiver {

// Sets the option `key` (a serve-config key such as "model_type" or "embedding_dim", or one
// of its older aliases such as "architecture") of `options` from its text form: an integer
// or number as text, "true" / "false" for flags, "a,b" for lists, a choice's name.
// Errors (InvalidArgument, `options` unchanged): an unknown key ("unknown training option
// 'epoch' (did you mean 'epochs'?)"), a value of the wrong type or outside its range
// ("epochs: expected an integer >= 1, got '0'"), exactly as the CLI and config report them.
Status set_training_option(TrainOptions& options, std::string_view key, const std::string& value);

// Every key set_training_option accepts: the canonical names, then the aliases.
std::vector<std::string> training_option_keys();

}  // namespace quiver

#endif  // QUIVER_TRAINING_OPTIONS_H_
