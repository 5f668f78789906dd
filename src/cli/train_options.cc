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

namespace {

void add_table_option(CLI::App* cmd, TrainArgs* a, const train::TrainingOption& opt,
                      const std::string& spelling, bool hidden) {
  auto record = [a, &opt, spelling](std::string value) {
    a->given.push_back({&opt, spelling, std::move(value)});
  };
  CLI::Option* o = nullptr;
  if (opt.kind == train::OptionKind::kFlag) {
    o = cmd->add_flag_callback(spelling, [record] { record("true"); }, opt.help);
  } else if (opt.kind == train::OptionKind::kList) {
    o = cmd->add_option_function<std::vector<std::string>>(
               spelling,
               [record](const std::vector<std::string>& v) {
                 std::string joined;
                 for (const auto& s : v) joined += (joined.empty() ? "" : ",") + s;
                 record(joined);
               },
               opt.help)
            ->delimiter(',');
  } else {
    o = cmd->add_option_function<std::string>(spelling, record, opt.help)->type_name(opt.value_text);
    const std::string def = opt.default_text();
    if (!def.empty() && opt.name != "tokenizer_filters") {
      o->default_str(def == " " ? "\" \"" : def);
    }
  }
  if (hidden) o->group("");
}

}  // namespace

void add_train_options(CLI::App* cmd, TrainArgs* a, bool for_predict) {
  for (const train::TrainingOption& opt : train::training_options()) {
    const bool predict_owns = opt.name == "maxlen" || opt.name == "padding" ||
                              opt.name == "truncating" || opt.name == "threads";
    if (for_predict && predict_owns) continue;
    add_table_option(cmd, a, opt, opt.flag(), false);
    for (const auto& alias : opt.cli_aliases) add_table_option(cmd, a, opt, alias, true);
  }
  cmd->add_option("--segmenter", a->segmenter, "none, jieba, jieba-nohmm, jieba-search, cjk-chars");
  cmd->add_option("--jieba-dir", a->jieba_dir, "jieba data folder");
  cmd->add_option("--user-dict", a->user_dict, "jieba user dictionary (word [freq] [tag] a line)");
  cmd->add_flag("--quiet", a->quiet, "no progress output");
}

Status finish_train_options(TrainArgs* a) {
  TrainOptions& o = a->options;
  std::vector<const TrainArgs::Given*> seen;
  for (const auto& g : a->given) {
    for (const TrainArgs::Given* before : seen) {
      if (before->option == g.option) {
        return invalid_argument("give " + before->spelling + " or " + g.spelling + ", not both");
      }
    }
    seen.push_back(&g);
    Status set = g.option->set(g.value, o);
    if (!set.ok()) return invalid_argument(g.spelling + ": " + set.message());
  }
  if (!a->padding.empty()) {
    QUIVER_RETURN_IF_ERROR(train::find_training_key("padding")->set(a->padding, o).with_context("--padding"));
  }
  if (!a->truncating.empty()) {
    QUIVER_RETURN_IF_ERROR(
        train::find_training_key("truncating")->set(a->truncating, o).with_context("--truncating"));
  }
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

}  // namespace quiver::cli
