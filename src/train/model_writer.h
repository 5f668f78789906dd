// Writes a trained network: the tokenizer JSON beside the model, then the .h5 (both
// atomically; the model last, so a present model file implies a present tokenizer).
#ifndef QUIVER_TRAIN_MODEL_WRITER_H_
#define QUIVER_TRAIN_MODEL_WRITER_H_

#include <string>
#include <vector>

#include "quiver/tokenizer.h"
#include "quiver/train.h"
#include "train/network.h"

namespace quiver::train {

struct ModelFiles {
  const std::string& model_path;
  const Network<float>& net;
  const std::vector<float>& weights;
  const Tokenizer& tokenizer;
  const std::vector<std::string>& labels;
  const std::string& task;
  const TrainOptions& options;
};

Status write_model_files(const ModelFiles& files);

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_MODEL_WRITER_H_
