// The training loop: epochs of shuffled mini-batches, each batch split into fixed chunks
// of kTrainChunk examples that run in parallel (forward, loss, backward into the chunk's
// own gradient array); the chunk gradients are then summed in chunk order and Adam takes
// a step. The arithmetic therefore does not depend on the number of threads.
// Thread-compatible: one fit() at a time per Trainer.
#ifndef QUIVER_TRAIN_TRAINER_H_
#define QUIVER_TRAIN_TRAINER_H_

#include <memory>
#include <vector>

#include "quiver/train.h"
#include "train/network.h"
#include "train/thread_pool.h"

namespace quiver::train {

// Padded id rows with their targets.
struct Examples {
  int64_t rows = 0;
  int maxlen = 0, outputs = 0;
  std::vector<int32_t> ids;      // [rows, maxlen]
  std::vector<float> targets;    // [rows, outputs]
  std::vector<float> weights;    // [rows] sample weights (class weights); empty = all 1
};

struct FitResult {
  std::vector<EpochStats> epochs;
  int best_epoch = 0;
  bool interrupted = false, early_stopped = false;
};

class Trainer {
 public:
  Trainer(const Network<float>& net, const TrainOptions& options);
  ~Trainer();

  // Trains `w` (initial weights in, chosen weights out). `validation` may be null.
  FitResult fit(const Examples& train, const Examples* validation, std::vector<float>* w);

  // The logits of every row ([rows, outputs]), inference mode (no dropout).
  std::vector<float> predict_logits(const std::vector<float>& w, const Examples& data);
  // Mean loss and accuracy of `w` on data (inference mode, unweighted).
  void evaluate(const std::vector<float>& w, const Examples& data, double* loss, double* acc);

 private:
  struct Chunk;
  void run_batch(const Examples& data, const std::vector<int64_t>& order, int64_t begin,
                 int count, uint64_t epoch_key, const std::vector<float>& w);
  void gather(const Examples& data, const std::vector<int64_t>& order, int64_t begin, int count,
              uint64_t epoch_key, Chunk* c);
  void batch_totals(int count, double* loss, double* hits) const;  // adds the last batch's
  double accuracy_hits(const float* logits, const float* targets, int rows) const;

  const Network<float>& net_;
  TrainOptions options_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::vector<float> grad_;
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_TRAINER_H_
