#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "train/loss.h"
#include "train/rng.h"

namespace quiver::train {

struct Trainer::Chunk {
  std::unique_ptr<Network<float>::Workspace> ws;
  std::vector<float> grad;
  std::vector<int32_t> ids;
  std::vector<float> targets, weights;
  std::vector<uint64_t> keys;
  std::vector<double> row_loss;
  double loss = 0, hits = 0;
};

namespace {
int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}
int64_t chunks_for(int64_t rows) { return (rows + kTrainChunk - 1) / kTrainChunk; }
}  // namespace

Trainer::Trainer(const Network<float>& net, const TrainOptions& options)
    : net_(net),
      options_(options),
      pool_(std::min<int>(resolve_threads(options.threads),
                          static_cast<int>(chunks_for(std::max(1, options.batch_size))))) {
  const int64_t n = chunks_for(std::max(1, options.batch_size));
  for (int64_t i = 0; i < n; ++i) {
    auto c = std::make_unique<Chunk>();
    c->ws = net.new_workspace();
    chunks_.push_back(std::move(c));
  }
  grad_.resize(net.num_params());
}

Trainer::~Trainer() = default;

void Trainer::gather(const Examples& data, const std::vector<int64_t>& order, int64_t begin,
                     int count, uint64_t epoch_key, Chunk* c) {
  const int len = data.maxlen, outs = data.outputs;
  c->ids.resize(static_cast<size_t>(count) * len);
  c->targets.resize(static_cast<size_t>(count) * outs);
  c->weights.resize(count);
  c->keys.resize(count);
  for (int r = 0; r < count; ++r) {
    const int64_t ex = order.empty() ? begin + r : order[begin + r];
    std::copy_n(data.ids.begin() + ex * len, len, c->ids.begin() + static_cast<size_t>(r) * len);
    std::copy_n(data.targets.begin() + ex * outs, outs,
                c->targets.begin() + static_cast<size_t>(r) * outs);
    c->weights[r] = data.weights.empty() ? 1.0f : data.weights[ex];
    c->keys[r] = hash_combine(epoch_key, static_cast<uint64_t>(ex));
  }
}

double Trainer::accuracy_hits(const float* logits, const float* targets, int rows) const {
  const int n = net_.spec().outputs;
  double hits = 0;
  for (int r = 0; r < rows; ++r) {
    const float* x = logits + static_cast<size_t>(r) * n;
    const float* y = targets + static_cast<size_t>(r) * n;
    if (net_.spec().output == OutputKind::kSoftmax) {
      hits += std::max_element(y, y + n) - y == std::max_element(x, x + n) - x;
    } else {  // binary accuracy per unit (logit > 0 <=> p > 0.5), averaged over units
      int ok = 0;
      for (int j = 0; j < n; ++j) ok += (x[j] > 0) == (y[j] > 0.5f);
      hits += static_cast<double>(ok) / n;
    }
  }
  return hits;
}

void Trainer::run_batch(const Examples& data, const std::vector<int64_t>& order, int64_t begin,
                        int count, uint64_t epoch_key, const std::vector<float>& w) {
  const int outs = data.outputs;
  const OutputKind kind = net_.spec().output;
  pool_.run(static_cast<int>(chunks_for(count)), [&](int ci) {
    Chunk& c = *chunks_[ci];
    const int rows = std::min(kTrainChunk, count - ci * kTrainChunk);
    gather(data, order, begin + static_cast<int64_t>(ci) * kTrainChunk, rows, epoch_key, &c);
    net_.forward(w.data(), c.ids.data(), rows, c.keys.data(), true, c.ws.get());
    const auto& logits = c.ws->acts.back().v;
    auto& dlogits = c.ws->grads.back();
    dlogits.resize(1, rows, outs);
    c.loss = loss_and_grad<float>(kind, logits.data(), c.targets.data(), c.weights.data(), rows,
                                  outs, 1.0f / count, dlogits.v.data());
    c.hits = accuracy_hits(logits.data(), c.targets.data(), rows);
    c.grad.assign(net_.num_params(), 0.0f);
    net_.backward(w.data(), c.grad.data(), c.keys.data(), c.ws.get());
  });
  // Fixed-order reduction: chunk 0, then 1, 2, ... whatever thread ran them.
  const int n = static_cast<int>(chunks_for(count));
  std::copy(chunks_[0]->grad.begin(), chunks_[0]->grad.end(), grad_.begin());
  for (int ci = 1; ci < n; ++ci) {
    const float* g = chunks_[ci]->grad.data();
    for (size_t i = 0; i < grad_.size(); ++i) grad_[i] += g[i];
  }
}

void Trainer::batch_totals(int count, double* loss, double* hits) const {
  for (int ci = 0; ci * kTrainChunk < count; ++ci) {
    *loss += chunks_[ci]->loss;  // Σ weight · loss over the chunk
    *hits += chunks_[ci]->hits;
  }
}

std::vector<float> Trainer::predict_logits(const std::vector<float>& w, const Examples& data) {
  const int outs = data.outputs;
  std::vector<float> out(static_cast<size_t>(data.rows) * outs);
  const int64_t total = chunks_for(data.rows), wave = static_cast<int64_t>(chunks_.size());
  for (int64_t first = 0; first < total; first += wave) {
    const int n = static_cast<int>(std::min(wave, total - first));
    pool_.run(n, [&](int ci) {
      Chunk& c = *chunks_[ci];
      const int64_t begin = (first + ci) * kTrainChunk;
      const int rows = static_cast<int>(std::min<int64_t>(kTrainChunk, data.rows - begin));
      gather(data, {}, begin, rows, 0, &c);
      net_.forward(w.data(), c.ids.data(), rows, c.keys.data(), false, c.ws.get());
      std::copy_n(c.ws->acts.back().v.begin(), static_cast<size_t>(rows) * outs,
                  out.begin() + begin * outs);
    });
  }
  return out;
}

void Trainer::evaluate(const std::vector<float>& w, const Examples& data, double* loss,
                       double* acc) {
  std::vector<float> logits = predict_logits(w, data);
  std::vector<double> losses(data.rows);
  row_losses<float>(net_.spec().output, logits.data(), data.targets.data(),
                    static_cast<int>(data.rows), data.outputs, losses.data());
  double sum = 0;
  for (double l : losses) sum += l;
  *loss = data.rows ? sum / data.rows : 0;
  *acc = data.rows ? accuracy_hits(logits.data(), data.targets.data(),
                                   static_cast<int>(data.rows)) / data.rows
                   : 0;
}

}  // namespace quiver::train
