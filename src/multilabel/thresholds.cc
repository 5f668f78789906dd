#include "multilabel/thresholds.h"

#include <algorithm>
#include <numeric>

#include "base/check.h"

namespace quiver::multilabel {
namespace {

// One candidate: predict the rows scoring at least as high as the cut's lowest score.
struct Cut {
  double threshold = 0;
  int64_t tp = 0, fp = 0;
};

// The cuts from the highest threshold (only the top score predicted) to the lowest
// (every row predicted), and the number of positive rows.
std::vector<Cut> cuts(const std::vector<double>& scores, const std::vector<bool>& truth,
                      int64_t* positives) {
  QUIVER_CHECK(scores.size() == truth.size());
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  *positives = std::count(truth.begin(), truth.end(), true);
  std::vector<Cut> out;
  Cut c;
  for (size_t i = 0; i < order.size(); ++i) {
    (truth[order[i]] ? c.tp : c.fp) += 1;
    const double s = scores[order[i]];
    if (i + 1 < order.size() && scores[order[i + 1]] == s) continue;  // ties go together
    c.threshold = i + 1 < order.size() ? (s + scores[order[i + 1]]) / 2 : s / 2;
    if (c.threshold < s) out.push_back(c);  // else (s == 0) no threshold >= 0 predicts it
  }
  return out;
}

ThresholdChoice choice_at(const Cut& c, int64_t positives) {
  ThresholdChoice t;
  t.threshold = c.threshold;
  t.precision = c.tp + c.fp > 0 ? static_cast<double>(c.tp) / (c.tp + c.fp) : 0;
  t.recall = positives > 0 ? static_cast<double>(c.tp) / positives : 0;
  t.f1 = positives + c.tp + c.fp > 0 ? 2.0 * c.tp / (positives + c.tp + c.fp) : 0;
  return t;
}

ThresholdChoice fallback() {
  ThresholdChoice t;
  t.fallback = true;
  return t;
}

}  // namespace

ThresholdChoice threshold_max_f1(const std::vector<double>& scores, const std::vector<bool>& truth) {
  int64_t positives = 0;
  const std::vector<Cut> all = cuts(scores, truth, &positives);
  if (positives == 0) return fallback();
  ThresholdChoice best;
  best.f1 = -1;
  for (const Cut& c : all) {
    ThresholdChoice t = choice_at(c, positives);
    if (t.f1 > best.f1) best = t;
  }
  return best;
}

ThresholdChoice threshold_for_precision(const std::vector<double>& scores,
                                        const std::vector<bool>& truth, double target_precision) {
  int64_t positives = 0;
  const std::vector<Cut> all = cuts(scores, truth, &positives);
  if (positives == 0) return fallback();
  ThresholdChoice reached, most_precise;
  bool any_reached = false;
  most_precise.precision = -1;
  for (const Cut& c : all) {
    ThresholdChoice t = choice_at(c, positives);
    if (t.precision >= target_precision) {
      reached = t;  // later cuts have lower thresholds and more recall
      any_reached = true;
    }
    if (t.precision >= most_precise.precision) most_precise = t;
  }
  return any_reached ? reached : most_precise;
}

}  // namespace quiver::multilabel
