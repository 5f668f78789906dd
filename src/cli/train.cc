// quiver train --data B.csv --model B.h5 [--type bilstm --epochs 7 --batch-size 32
//              --validation-split 0.1 --seed N --threads N --num-words 2000 --maxlen N ...]
// Trains a classifier and writes B.h5 (tf.keras 2.x layout, self-describing) and
// B.tokenizer.json. Progress goes to stderr; a summary (or --json report) to stdout.
// Ctrl-C stops after the current batch and still writes the best model so far; the
// command then prints "interrupted" and exits 0 (the model file is valid).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_options.h"

namespace quiver::cli {
namespace {

struct TrainCommandArgs {
  TrainArgs train;
  std::string data, model;
  bool json = false;
};

nlohmann::json report_json(const TrainReport& r, const std::string& model) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    nlohmann::json j = {{"epoch", e.epoch}, {"loss", e.loss}, {"acc", e.acc}, {"seconds", e.seconds}};
    if (e.has_validation) j.update({{"val_loss", e.val_loss}, {"val_acc", e.val_acc}});
    epochs.push_back(j);
  }
  return {{"model", model}, {"tokenizer", r.tokenizer_path}, {"task", r.task},
          {"labels", r.labels}, {"maxlen", r.maxlen}, {"vocab_size", r.vocab_size},
          {"params", r.params}, {"train_rows", r.train_rows},
          {"validation_rows", r.validation_rows}, {"skipped_rows", r.skipped_rows},
          {"best_epoch", r.best_epoch}, {"early_stopped", r.early_stopped},
          {"interrupted", r.interrupted}, {"epochs", epochs}};
}

Status run_train(TrainCommandArgs& a) {
  QUIVER_RETURN_IF_ERROR(finish_train_options(&a.train));
  InterruptGuard guard;
  a.train.options.stop = guard.flag();
  QUIVER_ASSIGN_OR_RETURN(TrainReport r, train_model(a.data, a.model, a.train.options));
  if (a.json) {
    std::printf("%s\n", report_json(r, a.model).dump().c_str());
  } else {
    std::printf("%s%s: %s, %lld training rows, %lld validation rows, %lld skipped, "
                "maxlen %lld, vocabulary %lld, %lld parameters, %zu epochs (weights of epoch %d)\n",
                r.interrupted ? "interrupted: wrote the best model so far to " : "wrote ",
                a.model.c_str(), r.task.c_str(), static_cast<long long>(r.train_rows),
                static_cast<long long>(r.validation_rows), static_cast<long long>(r.skipped_rows),
                static_cast<long long>(r.maxlen), static_cast<long long>(r.vocab_size),
                static_cast<long long>(r.params), r.epochs.size(), r.best_epoch);
  }
  if (r.interrupted) std::fprintf(stderr, "quiver train: interrupted\n");
  return Status();
}

}  // namespace

void add_train_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<TrainCommandArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a text classifier from a CSV and write a Keras .h5");
  cmd->add_option("--data", args->data, "training CSV (text and label columns)")->required();
  cmd->add_option("--model", args->model, "output model path (.h5)")->required();
  cmd->add_flag("--json", args->json, "print the training report as JSON");
  add_train_options(cmd, &args->train);
  cmd->callback([&ctx, args] { run_command(ctx, "train", [&] { return run_train(*args); }); });
}

}  // namespace quiver::cli
