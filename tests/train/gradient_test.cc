// Finite-difference checks, in double precision, of every trainable layer's backward pass
// and of both losses: each network below is small enough to perturb every parameter.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "train/gemm.h"
#include "train/layers.h"
#include "train/loss.h"
#include "train/network.h"
#include "train/rng.h"

namespace quiver::train {
namespace {

struct Case {
  ArchSpec spec;
  int batch = 3;
};

// Loss of the network on fixed ids / targets / dropout keys, as a function of w.
class Objective {
 public:
  explicit Objective(const Case& c) : c_(c) {
    auto built = Network<double>::build(c.spec);
    EXPECT_TRUE(built.ok()) << built.status().to_string();
    net_ = std::move(built).value();
    ws_ = net_->new_workspace();
    Rng rng(7);
    const int n = c.spec.outputs;
    for (int b = 0; b < c.batch; ++b) {
      keys_.push_back(rng.next());
      weights_.push_back(0.5f + b);
      for (int t = 0; t < c.spec.maxlen; ++t) {
        // Leading zeros (pre-padding) on some rows exercise the mask.
        ids_.push_back(t < b ? 0 : 1 + static_cast<int32_t>(rng.below(c.spec.vocab_size - 1)));
      }
      int cls = static_cast<int>(rng.below(n));
      for (int j = 0; j < n; ++j) {
        targets_.push_back(c.spec.output == OutputKind::kSoftmax ? (j == cls) : rng.below(2));
      }
    }
  }
  const Network<double>& net() const { return *net_; }

  double loss(const std::vector<double>& w, std::vector<double>* grad) {
    net_->forward(w.data(), ids_.data(), c_.batch, keys_.data(), true, ws_.get());
    const auto& logits = ws_->acts.back().v;
    auto& dlogits = ws_->grads.back();
    dlogits.resize(1, c_.batch, c_.spec.outputs);
    const double scale = 1.0 / c_.batch;
    double l = loss_and_grad<double>(c_.spec.output, logits.data(), targets_.data(),
                                     weights_.data(), c_.batch, c_.spec.outputs, scale,
                                     dlogits.v.data());
    if (grad) {
      grad->assign(w.size(), 0.0);
      net_->backward(w.data(), grad->data(), keys_.data(), ws_.get());
    }
    return l * scale;
  }

 private:
  Case c_;
  std::unique_ptr<Network<double>> net_;
  std::unique_ptr<Network<double>::Workspace> ws_;
  std::vector<int32_t> ids_;
  std::vector<uint64_t> keys_;
  std::vector<float> targets_, weights_;
};

void check_gradients(const Case& c) {
  Objective f(c);
  std::vector<double> w(f.net().num_params());
  f.net().init_params(42, w.data());
  // Move every weight off its initial value (zero biases would hide bias-gradient bugs).
  Rng rng(3);
  for (auto& x : w) x += 0.3 * (rng.uniform_double() - 0.5);
  std::vector<double> grad;
  f.loss(w, &grad);
  const double eps = 1e-6;
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double keep = w[i];
    w[i] = keep + eps;
    const double up = f.loss(w, nullptr);
    w[i] = keep - eps;
    const double down = f.loss(w, nullptr);
    w[i] = keep;
    const double numeric = (up - down) / (2 * eps);
    const double err = std::abs(numeric - grad[i]) / std::max(1e-3, std::abs(numeric) + std::abs(grad[i]));
    worst = std::max(worst, err);
    ASSERT_LT(err, 1e-5) << "parameter " << i << " of " << w.size() << ": numeric " << numeric
                         << " analytic " << grad[i];
  }
  std::printf("%s: %zu parameters, worst relative error %.2e\n", c.spec.type.c_str(), w.size(), worst);
}

ArchSpec small(const std::string& type) {
  ArchSpec s;
  s.type = type;
  s.vocab_size = 9;
  s.maxlen = 5;
  s.embed_dim = 3;
  s.units = 4;
  s.filters = 4;
  s.kernel_size = 2;
  s.dropout = 0.25f;
  s.recurrent_dropout = 0.25f;
  s.spatial_dropout = 0.3f;
  s.outputs = 3;
  return s;
}

class GradientTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientTest, SoftmaxCrossEntropyMatchesFiniteDifferences) {
  check_gradients({small(GetParam())});
}

TEST_P(GradientTest, SigmoidBinaryCrossEntropyMatchesFiniteDifferences) {
  ArchSpec s = small(GetParam());
  s.output = OutputKind::kSigmoid;
  check_gradients({s});
}

TEST_P(GradientTest, MaskedSequencesMatchFiniteDifferences) {
  ArchSpec s = small(GetParam());
  s.mask_zero = true;
  check_gradients({s, 4});
}

TEST_P(GradientTest, WithoutDropoutMatchesFiniteDifferences) {
  ArchSpec s = small(GetParam());
  s.dropout = s.recurrent_dropout = s.spatial_dropout = 0;
  s.outputs = 1;
  s.output = OutputKind::kSigmoid;
  check_gradients({s});
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, GradientTest,
                         ::testing::Values("lstm", "bilstm", "gru", "bigru", "cnn"));

// The float GEMM (packed, vectorised) against a double reference, all transposes, odd sizes.
TEST(GemmTest, FloatKernelsMatchReference) {
  Rng rng(5);
  for (int trial = 0; trial < 2; ++trial) {
    const int m = 37, n = 45, k = 300;
    const bool ta = trial == 1, tb = trial == 1;
    std::vector<float> a(m * k), b(k * n), c(m * n, 1.0f);
    for (auto& x : a) x = rng.uniform() - 0.5f;
    for (auto& x : b) x = rng.uniform() - 0.5f;
    MatView<float> av{a.data(), ta ? m : k, ta}, bv{b.data(), tb ? k : n, tb};
    gemm(m, n, k, av, bv, c.data(), n, true);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double s = 1.0;
        for (int p = 0; p < k; ++p) s += double(av.at(i, p)) * bv.at(p, j);
        ASSERT_NEAR(c[i * n + j], s, 1e-4) << i << "," << j;
      }
    }
  }
}

// Ties in GlobalMaxPooling1D share the gradient evenly, as TF's reduce_max gradient does
// (tensorflow/python/ops/math_grad.py _MinOrMaxGrad: indicators / number of maxima).
TEST(GlobalMaxPoolingTest, TiedMaximaShareTheGradientEvenly) {
  GlobalMaxPoolingLayer<double> pool;
  Act<double> in, out, dout, din;
  in.resize(3, 1, 2);
  in.v = {1, 5,   // t = 0
          3, 5,   // t = 1
          3, 2};  // t = 2
  PassCtx<double> ctx;
  pool.forward(ctx, in, &out, nullptr);
  EXPECT_EQ(out.v, (std::vector<double>{3, 5}));
  dout.resize(1, 1, 2);
  dout.v = {1, 2};
  pool.backward(ctx, in, out, dout, &din, nullptr);
  EXPECT_EQ(din.v, (std::vector<double>{0, 1, 0.5, 1, 0.5, 0}));
}

}  // namespace
}  // namespace quiver::train
