// Per-label decision thresholds picked on validation scores. A label is predicted when
// score > threshold (decide(); the rule quiver serve applies to quiver_thresholds).
// Candidate thresholds lie halfway between consecutive distinct scores (and at half the
// lowest score when that is above 0, which predicts every row), so a threshold never sits
// on a validation score itself. Pure functions, thread-safe.
#ifndef QUIVER_MULTILABEL_THRESHOLDS_H_
#define QUIVER_MULTILABEL_THRESHOLDS_H_

#include <vector>

namespace quiver::multilabel {

inline constexpr double kDefaultThreshold = 0.5;

// The decision rule everywhere in quiver's multi-label code: yes when score > threshold
// (so a binary model's P(labels[1]) > 0.5 is its softmax argmax, ties going to labels[0]).
inline bool decide(double score, double threshold) { return score > threshold; }

struct ThresholdChoice {
  double threshold = kDefaultThreshold;
  double precision = 0, recall = 0, f1 = 0;  // on the given scores at that threshold
  bool fallback = false;  // no positive row (or no row): kDefaultThreshold was kept
};

// The threshold with the highest F1; among equal F1s the highest threshold.
ThresholdChoice threshold_max_f1(const std::vector<double>& scores, const std::vector<bool>& truth);

// The lowest threshold (most recall) whose precision is >= target_precision. When no
// threshold reaches it: the one with the highest precision (the lowest among ties).
ThresholdChoice threshold_for_precision(const std::vector<double>& scores,
                                        const std::vector<bool>& truth, double target_precision);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_THRESHOLDS_H_
