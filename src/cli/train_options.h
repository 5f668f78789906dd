// The training options shared by `quiver train` and `quiver predict --train-data`, the
// Keras-style progress display, and Ctrl-C handling during training.
#ifndef QUIVER_CLI_TRAIN_OPTIONS_H_
#define QUIVER_CLI_TRAIN_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "quiver/train.h"

namespace quiver::cli {

struct TrainArgs {
  TrainOptions options;
  int64_t num_words = 2000;  // 0 = keep every word
  std::string oov_token;
  bool no_lower = false;
  std::string padding = "pre", truncating = "pre";
  std::string class_weight = "none";
  std::string segmenter = "none", jieba_dir;
  std::string user_dict;  // jieba user dictionary for the segmenter ("" = none)
  bool quiet = false;
};

// Registers the options on `cmd` (data columns, tokenizer, architecture, optimisation).
// for_predict leaves out --maxlen, --padding, --truncating and --threads, which `quiver
// predict` already has (training then uses the longest sequence, pre, and all cores).
void add_train_options(CLI::App* cmd, TrainArgs* args, bool for_predict = false);

// For `quiver predict --model M --train-data CSV`: trains M from CSV when M is missing
// (quiver::load_or_train: flock'ed, atomic), then, for text input, fills in the tokenizer
// path (beside the model) and the labels (from the model's quiver_labels) when the caller
// gave none.
Status train_if_missing(const std::string& model, const std::string& csv, TrainArgs* args,
                        std::string* tokenizer, std::string* labels);

// Turns the parsed flags into TrainOptions (segmenter, tokenizer config, pad modes) and
// installs the progress printer (a bar on a terminal, one line per epoch otherwise, on
// stderr) unless quiet.
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
