#include "cli/train_options.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "quiver/segmenter.h"

namespace quiver::cli {
namespace {

std::atomic<bool> g_interrupted{false};  // see InterruptGuard
struct sigaction g_previous {};

extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  sigaction(SIGINT, &g_previous, nullptr);  // a second Ctrl-C kills as usual
}

std::string metrics(const EpochStats& s) {
  char buf[160];
  int n = std::snprintf(buf, sizeof buf, " - loss: %.4f - acc: %.4f", s.loss, s.acc);
  if (s.has_validation) {
    std::snprintf(buf + n, sizeof buf - n, " - val_loss: %.4f - val_acc: %.4f", s.val_loss, s.val_acc);
  }
  return buf;
}

// Keras' Progbar: "Epoch 1/7" then " 12/85 [=====>.....] - ETA: 9s - loss: ... ".
void print_bar(const TrainProgress& p) {
  if (p.step == 1 && !p.done) std::fprintf(stderr, "Epoch %d/%d\n", p.epoch, p.epochs);
  const int width = 30;
  const int filled = static_cast<int>(width * p.step / std::max<int64_t>(1, p.steps));
  std::string bar(filled, '=');
  if (filled < width) bar += '>' + std::string(width - filled - 1, '.');
  const int digits = static_cast<int>(std::to_string(p.steps).size());
  std::string timing;
  if (p.done) {
    timing = std::to_string(static_cast<int64_t>(p.stats.seconds)) + "s " +
             std::to_string(static_cast<int64_t>(1000 * p.stats.seconds / std::max<int64_t>(1, p.steps))) +
             "ms/step";
  } else {
    const double eta = p.elapsed_seconds / p.step * (p.steps - p.step);
    timing = "ETA: " + std::to_string(static_cast<int64_t>(eta + 0.5)) + "s";
  }
  std::fprintf(stderr, "\r%*lld/%lld [%s] - %s%s\033[K%s", digits, static_cast<long long>(p.step),
               static_cast<long long>(p.steps), bar.c_str(), timing.c_str(), metrics(p.stats).c_str(),
               p.done ? "\n" : "");
  std::fflush(stderr);
}

void print_line(const TrainProgress& p) {
  if (!p.done) return;
  std::fprintf(stderr, "Epoch %d/%d - %.1fs%s\n", p.epoch, p.epochs, p.stats.seconds,
               metrics(p.stats).c_str());
  std::fflush(stderr);
}

Result<PadMode> pad_mode(const std::string& s, const char* flag) {
  if (s == "pre") return PadMode::kPre;
  if (s == "post") return PadMode::kPost;
  return invalid_argument(std::string(flag) + " must be pre or post, not '" + s + "'");
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous);
}
InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }
const std::atomic<bool>* InterruptGuard::flag() const { return &g_interrupted; }

void add_train_options(CLI::App* cmd, TrainArgs* a, bool for_predict) {
  TrainOptions& o = a->options;
  cmd->add_option("--text-column", o.text_column, "CSV column with the text")->default_val("text");
  cmd->add_option("--label-column", o.label_column, "CSV column with the label(s), '|'-joined for multi-label")
      ->default_val("label");
  cmd->add_option("--label-columns", o.label_columns, "multi-label: several 0/1 columns")->delimiter(',');
  cmd->add_flag("--multi-label", o.multi_label, "treat the label column as '|'-joined labels");
  cmd->add_flag("--skip-bad-rows", o.skip_bad_rows, "skip (and count) malformed rows instead of failing");
  cmd->add_option("--validation", o.validation_path, "validation CSV");
  cmd->add_option("--validation-split", o.validation_split, "validate on the last fraction of the rows");
  cmd->add_option("--num-words", a->num_words, "tokenizer num_words (0 = all words)")->default_val(2000);
  cmd->add_option("--oov-token", a->oov_token, "tokenizer oov_token");
  cmd->add_flag("--char-level", o.tokenizer.char_level, "character-level tokenizer");
  cmd->add_flag("--no-lower", a->no_lower, "do not lower-case");
  cmd->add_option("--tokenizer-filters", o.tokenizer.filters, "characters the tokenizer removes");
  cmd->add_option("--split", o.tokenizer.split, "tokenizer word separator")->default_val(" ");
  cmd->add_option("--segmenter", a->segmenter, "none, jieba, jieba-nohmm, jieba-search, cjk-chars");
  cmd->add_option("--jieba-dir", a->jieba_dir, "jieba data folder");
  cmd->add_option("--user-dict", a->user_dict, "jieba user dictionary (word [freq] [tag] a line)");
  if (!for_predict) {
    cmd->add_option("--maxlen", o.maxlen, "cap on the sequence length (default: longest)");
    cmd->add_option("--padding", a->padding, "pre or post")->default_val("pre");
    cmd->add_option("--truncating", a->truncating, "pre or post")->default_val("pre");
    cmd->add_option("--threads", o.threads, "threads (default: all cores; results do not depend on it)");
  }
  cmd->add_option("--type", o.type, "lstm, bilstm, gru, bigru or cnn")->default_val("lstm");
  cmd->add_option("--embed-dim", o.embed_dim, "embedding size")->default_val(128);
  cmd->add_option("--units", o.units, "recurrent units")->default_val(196);
  cmd->add_option("--filters", o.filters, "cnn: Conv1D filters")->default_val(128);
  cmd->add_option("--kernel-size", o.kernel_size, "cnn: Conv1D kernel size")->default_val(5);
  cmd->add_option("--dropout", o.dropout, "RNN input dropout (cnn: Dropout before Dense)")->default_val(0.2);
  cmd->add_option("--recurrent-dropout", o.recurrent_dropout, "RNN recurrent dropout")->default_val(0.2);
  cmd->add_option("--spatial-dropout", o.spatial_dropout, "SpatialDropout1D rate (0 = none)")->default_val(0.4);
  cmd->add_flag("--mask-zero", o.mask_zero, "Embedding(mask_zero=True)");
  cmd->add_flag("--binary-sigmoid", o.binary_sigmoid, "binary task as one sigmoid unit");
  cmd->add_option("--epochs", o.epochs, "epochs")->default_val(7);
  cmd->add_option("--batch-size", o.batch_size, "batch size")->default_val(32);
  cmd->add_option("--learning-rate", o.learning_rate, "Adam learning rate")->default_val(1e-3);
  cmd->add_option("--seed", o.seed, "random seed (same seed, same weights)")->default_val(1);
  cmd->add_option("--patience", o.patience, "early stopping patience on val_loss (0 = off)");
  cmd->add_option("--class-weight", a->class_weight, "none or balanced")->default_val("none");
  cmd->add_flag("--quiet", a->quiet, "no progress output");
}

Status finish_train_options(TrainArgs* a) {
  TrainOptions& o = a->options;
  if (a->num_words < 0) return invalid_argument("--num-words must not be negative");
  o.tokenizer.num_words = a->num_words > 0 ? std::optional<int64_t>(a->num_words) : std::nullopt;
  if (!a->oov_token.empty()) o.tokenizer.oov_token = a->oov_token;
  o.tokenizer.lower = !a->no_lower;
  QUIVER_ASSIGN_OR_RETURN(o.padding, pad_mode(a->padding, "--padding"));
  QUIVER_ASSIGN_OR_RETURN(o.truncating, pad_mode(a->truncating, "--truncating"));
  if (a->class_weight != "none" && a->class_weight != "balanced") {
    return invalid_argument("--class-weight must be none or balanced, not '" + a->class_weight + "'");
  }
  o.class_weight_balanced = a->class_weight == "balanced";
  // none trains unsegmented; Segmenter::create refuses a user dictionary without jieba.
  if (a->segmenter != "none" || !a->user_dict.empty()) {
    SegmenterOptions so;
    if (!a->jieba_dir.empty()) so.jieba_dir = a->jieba_dir;
    so.user_dict = a->user_dict;
    QUIVER_ASSIGN_OR_RETURN(o.segmenter, Segmenter::create(a->segmenter, so));
  }
  if (!a->quiet) {
    o.on_progress = ::isatty(STDERR_FILENO) ? print_bar : print_line;
  }
  return Status();
}

Status train_if_missing(const std::string& model, const std::string& csv, TrainArgs* args,
                        std::string* tokenizer, std::string* labels) {
  QUIVER_RETURN_IF_ERROR(finish_train_options(args));
  InterruptGuard guard;
  args->options.stop = guard.flag();
  QUIVER_ASSIGN_OR_RETURN(auto loaded, load_or_train(model, csv, args->options));
  (void)loaded;
  if (tokenizer->empty()) *tokenizer = tokenizer_path_for(model);
  if (labels->empty()) {
    auto info = read_trained_model_info(model);
    if (info.ok()) {
      for (const auto& l : info->labels) *labels += (labels->empty() ? "" : ",") + l;
    }
  }
  return Status();
}

}  // namespace quiver::cli
