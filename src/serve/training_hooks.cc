#include "serve/training_hooks.h"

#include <cstdio>
#include <filesystem>

#include "quiver/segmenter.h"

namespace quiver::serve {

quiver::TrainOptions train_options_for(const ModelConfig& c) {
  // The `training:` section; the model-level keys that also shape serving (num_words for
  // the tokenizer, maxlen / padding / truncating for pad_sequences) win over it.
  quiver::TrainOptions o = c.training;
  if (c.num_words) o.tokenizer.num_words = *c.num_words;
  if (c.maxlen) o.maxlen = *c.maxlen;
  if (c.padding) o.padding = *c.padding;
  if (c.truncating) o.truncating = *c.truncating;
  if (c.multi_label) o.multi_label = true;
  return o;
}

namespace {

// The configured segmenter for training and tokenizer fitting (the model file does not
// exist yet, so there is no recorded one); null for none.
Result<std::shared_ptr<const Segmenter>> training_segmenter(const ModelConfig& c) {
  if (!c.segmenter || *c.segmenter == "none") return std::shared_ptr<const Segmenter>();
  SegmenterOptions options;
  options.user_dict = c.user_dict_path;
  return Segmenter::create(*c.segmenter, options);
}

}  // namespace

TrainingHooks training_hooks(std::shared_ptr<TrainingMonitor> monitor) {
  TrainingHooks hooks;
  hooks.train = [monitor](const ModelConfig& c) -> Status {
    std::fprintf(stderr, "quiver serve: model '%s': %s is missing, training it from %s\n",
                 c.name.c_str(), c.model_path.c_str(), c.train_data_path.c_str());
    std::error_code ec;  // the trainer writes beside the model: make its folder first
    std::filesystem::create_directories(std::filesystem::path(c.model_path).parent_path(), ec);
    if (ec) return io_error(c.model_path + ": cannot create its folder: " + ec.message());
    quiver::TrainOptions options = train_options_for(c);
    QUIVER_ASSIGN_OR_RETURN(options.segmenter, training_segmenter(c));
    if (monitor) {
      options.on_progress = [monitor, name = c.name](const TrainProgress& p) {
        monitor->report(name, p);
      };
      options.stop = monitor->stop_flag();
    }
    auto report = train_model(c.train_data_path, c.model_path, options);
    if (!report.ok()) return report.status();
    if (report->interrupted) {  // a half-trained model must not look like a finished one
      std::filesystem::remove(c.model_path, ec);
      std::filesystem::remove(report->tokenizer_path, ec);
      return cancelled(c.model_path + ": training stopped by shutdown; the partial model was removed");
    }
    return Status();
  };
  hooks.fit_tokenizer = [](const ModelConfig& c) -> Result<Tokenizer> {
    QUIVER_ASSIGN_OR_RETURN(std::shared_ptr<const Segmenter> seg, training_segmenter(c));
    const quiver::TrainOptions o = train_options_for(c);
    CsvRowOptions rows;
    rows.skip_bad_rows = o.skip_bad_rows;
    return fit_tokenizer_on_csv(c.train_data_path, o.text_column, o.tokenizer, seg.get(), rows);
  };
  return hooks;
}

}  // namespace quiver::serve
