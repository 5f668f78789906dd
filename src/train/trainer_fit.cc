// Trainer::fit: the epoch loop (Keras Model.fit semantics: shuffle every epoch, the
// displayed loss is the running mean over the examples seen, validation after each
// epoch, EarlyStopping(monitor="val_loss", patience, restore_best_weights=True)).
#include <chrono>
#include <limits>

#include "train/adam.h"
#include "train/rng.h"
#include "train/trainer.h"

namespace quiver::train {
namespace {

std::vector<int64_t> shuffled(int64_t n, uint64_t key) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(key);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  return order;
}

bool stop_requested(const TrainOptions& o) {
  return o.stop != nullptr && o.stop->load(std::memory_order_relaxed);
}

}  // namespace

FitResult Trainer::fit(const Examples& train, const Examples* validation, std::vector<float>* w) {
  FitResult result;
  Adam adam(AdamOptions{options_.learning_rate}, w->size());
  const int bs = std::max(1, options_.batch_size);
  const int64_t steps = (train.rows + bs - 1) / bs;
  const bool early = options_.patience > 0 && validation != nullptr;
  std::vector<float> best;
  double best_loss = std::numeric_limits<double>::infinity();
  int wait = 0;
  for (int epoch = 1; epoch <= options_.epochs && !result.interrupted; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t epoch_key = hash_combine(options_.seed, static_cast<uint64_t>(epoch));
    const std::vector<int64_t> order = shuffled(train.rows, hash_combine(epoch_key, 0x5eed));
    TrainProgress p;
    p.epoch = epoch;
    p.epochs = options_.epochs;
    p.steps = steps;
    double loss_sum = 0, hits = 0;
    int64_t seen = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const int count = static_cast<int>(std::min<int64_t>(bs, train.rows - step * bs));
      run_batch(train, order, step * bs, count, epoch_key, *w);
      adam.step(w->data(), grad_.data());
      batch_totals(count, &loss_sum, &hits);
      seen += count;
      p.step = step + 1;
      p.stats.epoch = epoch;
      p.stats.loss = loss_sum / seen;
      p.stats.acc = hits / seen;
      p.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (options_.on_progress) options_.on_progress(p);
      if (stop_requested(options_)) {
        result.interrupted = true;
        break;
      }
    }
    if (result.interrupted && seen < train.rows) break;  // a partial epoch is not reported
    if (validation != nullptr && validation->rows > 0) {
      p.stats.has_validation = true;
      evaluate(*w, *validation, &p.stats.val_loss, &p.stats.val_acc);
    }
    p.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    p.done = true;
    result.epochs.push_back(p.stats);
    if (options_.on_progress) options_.on_progress(p);
    if (p.stats.has_validation && p.stats.val_loss < best_loss) {
      best_loss = p.stats.val_loss;
      best = *w;
      result.best_epoch = epoch;
      wait = 0;
    } else if (early && ++wait >= options_.patience) {
      result.early_stopped = true;
      break;
    }
  }
  // Keep the best epoch's weights when early stopping is on, or when interrupted with a
  // validation set ("the best model so far"); otherwise the last weights, as Keras.
  if (!best.empty() && (early || result.interrupted)) {
    *w = std::move(best);
  } else {
    result.best_epoch = static_cast<int>(result.epochs.size());
  }
  return result;
}

}  // namespace quiver::train
