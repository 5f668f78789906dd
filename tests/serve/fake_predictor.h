// A stand-in for quiver::Model in serving unit tests: each row's outputs are a fixed
// function of that row's ids and the fake's salt only (never of the batch), like the real
// Model's contract. It records the batch sizes it saw and can be slowed down.
#ifndef QUIVER_TESTS_SERVE_FAKE_PREDICTOR_H_
#define QUIVER_TESTS_SERVE_FAKE_PREDICTOR_H_

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "serve/servable.h"

namespace quiver::serve::testing {

class FakePredictor final : public Predictor {
 public:
  FakePredictor(int64_t input_length, int64_t vocab, int64_t units, float salt, int delay_ms = 0)
      : salt_(salt), delay_ms_(delay_ms) {
    info_.input_length = input_length;
    info_.vocab_size = vocab;
    info_.output_shapes = {{-1, units}};
    info_.memory_bytes = 1000 + units;
  }

  // Row r, unit u: sin(sum_k ids[k] * (k + 1) / 1000 + u + salt), in float.
  static float row_value(std::span<const int32_t> row, int64_t u, float salt) {
    float acc = 0;
    for (size_t k = 0; k < row.size(); ++k)
      acc += static_cast<float>(row[k]) * static_cast<float>(k + 1) / 1000.0f;
    return std::sin(acc + static_cast<float>(u) + salt);
  }

  Result<std::vector<Tensor>> predict(std::span<const int32_t> ids, int64_t batch,
                                      int64_t seq_len,
                                      const PredictOptions& = {}) const override {
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(batch);
    }
    if (static_cast<int64_t>(ids.size()) != batch * seq_len)
      return invalid_argument("fake: bad size");
    const int64_t units = info_.output_shapes[0][1];
    Tensor t;
    t.shape = {batch, units};
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t u = 0; u < units; ++u) {
        t.data.push_back(row_value(ids.subspan(r * seq_len, seq_len), u, salt_));
      }
    }
    return std::vector<Tensor>{std::move(t)};
  }
  const ModelInfo& info() const override { return info_; }

  std::vector<int64_t> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }

 private:
  ModelInfo info_;
  float salt_;
  int delay_ms_;
  mutable std::mutex mu_;
  mutable std::vector<int64_t> batches_;
};

// Loads "model files" that are text: "<salt> [units] [delay_ms]", or "bad" to fail.
inline PredictorLoader fake_loader(std::atomic<int>* loads = nullptr) {
  return [loads](const ModelConfig& c) -> Result<std::shared_ptr<const Predictor>> {
    if (loads) ++*loads;
    std::ifstream in(c.model_path);
    std::string first;
    if (!(in >> first)) return not_found(c.model_path + ": no such file");
    if (first == "bad") return corruption(c.model_path + ": not a model");
    int64_t units = 1;
    int delay = 0;
    in >> units >> delay;
    return std::shared_ptr<const Predictor>(
        std::make_shared<FakePredictor>(8, 100, units, std::stof(first), delay));
  };
}

}  // namespace quiver::serve::testing

#endif  // QUIVER_TESTS_SERVE_FAKE_PREDICTOR_H_
