// The training options shared by `quiver train`, `train-multilabel` and `predict
// --train-data` (registered from the one option table, src/train/option_table.h, that the
// serve config's `training:` section also reads), the Keras-style progress display, and
// Ctrl-C handling during training.
#ifndef QUIVER_CLI_TRAIN_OPTIONS_H_
#define QUIVER_CLI_TRAIN_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "quiver/train.h"
#include "train/option_table.h"

namespace quiver::cli {

struct TrainArgs {
  TrainOptions options;
  // --padding / --truncating set by `quiver predict` (which owns those flags): "" = unset.
  std::string padding, truncating;
  std::string segmenter = "none", jieba_dir;
  std::string user_dict;  // jieba user dictionary for the segmenter ("" = none)
  bool quiet = false;
  // The table's options as given: which option, under which spelling, with what value.
  struct Given {
    const train::TrainingOption* option;
    std::string spelling, value;
  };
  std::vector<Given> given;
};

// Registers the table's options on `cmd` (--embedding-dim, --model-type, ...; older
// spellings such as --type and --embed-dim as hidden aliases) and the CLI-only segmenter
// flags. for_predict leaves out --maxlen, --padding, --truncating and --threads, which
// `quiver predict` already has.
void add_train_options(CLI::App* cmd, TrainArgs* args, bool for_predict = false);

// Applies the given options through the table (InvalidArgument "--epochs: expected an
// integer >= 1, got 'x'"), builds the segmenter and installs the progress printer (a bar
// on a terminal, one line per epoch otherwise, on stderr) unless quiet.
Status finish_train_options(TrainArgs* args);

// While alive, SIGINT sets a flag that training polls after each batch ("stop cleanly,
// keep the best model so far"); a second Ctrl-C is left to the default handler. The flag
// is the one global here: a signal handler can only reach static storage.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  const std::atomic<bool>* flag() const;
};

}  // namespace quiver::cli

#endif  // QUIVER_CLI_TRAIN_OPTIONS_H_
