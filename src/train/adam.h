// Adam exactly as tf.keras 2.11+ (keras@v2.15.0 keras/optimizers/adam.py::update_step):
//   alpha = lr · sqrt(1 − β2^t) / (1 − β1^t)
//   m += (g − m)(1 − β1);  v += (g² − v)(1 − β2);  w −= m · alpha / (sqrt(v) + ε)
// in float32, with Keras' defaults lr 1e-3, β1 0.9, β2 0.999, ε 1e-7.
// Thread-compatible: one optimizer per training run.
#ifndef QUIVER_TRAIN_ADAM_H_
#define QUIVER_TRAIN_ADAM_H_

#include <cmath>
#include <cstdint>
#include <vector>

namespace quiver::train {

struct AdamOptions {
  float learning_rate = 1e-3f;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float epsilon = 1e-7f;
};

class Adam {
 public:
  Adam(AdamOptions o, size_t n) : o_(o), m_(n, 0.0f), v_(n, 0.0f) {}

  void step(float* w, const float* g) {
    const float t = static_cast<float>(++iterations_);
    const float alpha = o_.learning_rate * std::sqrt(1.0f - std::pow(o_.beta_2, t)) /
                        (1.0f - std::pow(o_.beta_1, t));
    const float a1 = 1.0f - o_.beta_1, a2 = 1.0f - o_.beta_2;
    const size_t n = m_.size();
    for (size_t i = 0; i < n; ++i) {
      m_[i] += (g[i] - m_[i]) * a1;
      v_[i] += (g[i] * g[i] - v_[i]) * a2;
      w[i] -= (m_[i] * alpha) / (std::sqrt(v_[i]) + o_.epsilon);
    }
  }
  int64_t iterations() const { return iterations_; }

 private:
  AdamOptions o_;
  std::vector<float> m_, v_;
  int64_t iterations_ = 0;
};

}  // namespace quiver::train

#endif  // QUIVER_TRAIN_ADAM_H_
