#include "multilabel/agreement.h"

#include "base/check.h"

namespace quiver::multilabel {
namespace {
double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }
}  // namespace

Agreement agreement(const std::vector<bool>& a, const std::vector<bool>& b) {
  QUIVER_CHECK(a.size() == b.size());
  Agreement g;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] && b[i]) ++g.both_yes;
    else if (a[i]) ++g.a_only;
    else if (b[i]) ++g.b_only;
    else ++g.both_no;
  }
  const double n = static_cast<double>(a.size());
  if (n == 0) return g;
  g.rate = (g.both_yes + g.both_no) / n;
  // Chance agreement from each rater's own marginals (Cohen 1960).
  const double a_yes = (g.both_yes + g.a_only) / n, b_yes = (g.both_yes + g.b_only) / n;
  const double expected = a_yes * b_yes + (1 - a_yes) * (1 - b_yes);
  g.kappa = expected >= 1.0 ? 1.0 : (g.rate - expected) / (1.0 - expected);
  return g;
}

BinaryMetrics binary_metrics(const std::vector<bool>& decisions, const std::vector<bool>& truth) {
  QUIVER_CHECK(decisions.size() == truth.size());
  BinaryMetrics m;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (decisions[i] && truth[i]) ++m.tp;
    else if (decisions[i]) ++m.fp;
    else if (truth[i]) ++m.fn;
    else ++m.tn;
  }
  m.accuracy = ratio(m.tp + m.tn, static_cast<double>(truth.size()));
  m.precision = ratio(m.tp, m.tp + m.fp);
  m.recall = ratio(m.tp, m.tp + m.fn);
  m.f1 = ratio(2.0 * m.tp, 2.0 * m.tp + m.fp + m.fn);
  return m;
}

}  // namespace quiver::multilabel
