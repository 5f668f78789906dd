// Agreement between two sets of yes/no decisions (Cohen's kappa, the 2x2 confusion) and
// the usual binary metrics of decisions against true labels. Pure functions, thread-safe.
#ifndef QUIVER_MULTILABEL_AGREEMENT_H_
#define QUIVER_MULTILABEL_AGREEMENT_H_

#include <cstdint>
#include <vector>

namespace quiver::multilabel {

// The 2x2 table of two raters a and b over the same items.
struct Agreement {
  int64_t both_yes = 0, a_only = 0, b_only = 0, both_no = 0;
  double rate = 0;   // observed agreement p_o = (both_yes + both_no) / n
  double kappa = 0;  // Cohen's kappa (p_o - p_e) / (1 - p_e); 1 when p_e == 1 (both raters
                     // constant and identical), 0 for no items
  int64_t total() const { return both_yes + a_only + b_only + both_no; }
};

// a.size() must equal b.size().
Agreement agreement(const std::vector<bool>& a, const std::vector<bool>& b);

struct BinaryMetrics {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;  // 0 when undefined (0/0)
};

// Decisions against truth (same sizes).
BinaryMetrics binary_metrics(const std::vector<bool>& decisions, const std::vector<bool>& truth);

}  // namespace quiver::multilabel

#endif  // QUIVER_MULTILABEL_AGREEMENT_H_
