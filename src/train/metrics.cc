#include "train/metrics.h"

#include <algorithm>
#include <numeric>

namespace quiver::train {
namespace {

ClassMetrics from_counts(const std::string& label, int64_t tp, int64_t fp, int64_t fn) {
  ClassMetrics m;
  m.label = label;
  m.support = tp + fn;
  m.precision = tp + fp ? static_cast<double>(tp) / (tp + fp) : 0;
  m.recall = tp + fn ? static_cast<double>(tp) / (tp + fn) : 0;
  m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
  return m;
}

void finish_macro(EvalMetrics* m) {
  double sum = 0;
  for (const auto& c : m->classes) sum += c.f1;
  m->macro_f1 = m->classes.empty() ? 0 : sum / m->classes.size();
}

EvalMetrics multi_label_metrics(const std::vector<float>& scores, const std::vector<float>& truth,
                                const std::vector<std::string>& labels, int64_t rows) {
  EvalMetrics m;
  m.rows = rows;
  m.multi_label = true;
  const size_t k = labels.size();
  int64_t exact = 0, hits = 0;
  std::vector<int64_t> tp(k), fp(k), fn(k);
  for (int64_t r = 0; r < rows; ++r) {
    bool all = true;
    for (size_t j = 0; j < k; ++j) {
      const bool p = scores[r * k + j] > 0.5f, t = truth[r * k + j] > 0.5f;
      tp[j] += p && t, fp[j] += p && !t, fn[j] += !p && t;
      hits += p == t;
      all = all && p == t;
    }
    exact += all;
  }
  for (size_t j = 0; j < k; ++j) m.classes.push_back(from_counts(labels[j], tp[j], fp[j], fn[j]));
  m.exact_match = rows ? static_cast<double>(exact) / rows : 0;
  m.accuracy = rows ? static_cast<double>(hits) / (rows * k) : 0;
  finish_macro(&m);
  return m;
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<int>& positive) {
  const size_t n = scores.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  int64_t pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[idx[j]] == scores[idx[i]]) ++j;
    const double avg_rank = (i + 1 + j) / 2.0;  // ranks i+1 .. j
    for (size_t q = i; q < j; ++q) {
      if (positive[idx[q]]) rank_sum += avg_rank, ++pos;
    }
    i = j;
  }
  const int64_t neg = static_cast<int64_t>(n) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2.0) / (static_cast<double>(pos) * neg);
}

EvalMetrics compute_metrics(const std::vector<float>& scores, int outputs,
                            const std::vector<float>& truth, const std::vector<std::string>& labels,
                            bool multi_label) {
  const size_t k = labels.size();
  const int64_t rows = k ? static_cast<int64_t>(truth.size() / k) : 0;
  if (multi_label) return multi_label_metrics(scores, truth, labels, rows);
  EvalMetrics m;
  m.rows = rows;
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  int64_t hits = 0;
  std::vector<double> positive_score;
  std::vector<int> positive;
  for (int64_t r = 0; r < rows; ++r) {
    const float* t = truth.data() + r * k;
    const size_t true_class = std::max_element(t, t + k) - t;
    const float* s = scores.data() + r * outputs;
    size_t pred = outputs == 1 ? (s[0] > 0.5f ? 1 : 0) : std::max_element(s, s + outputs) - s;
    ++m.confusion[true_class][pred];
    hits += pred == true_class;
    if (k == 2) {
      positive_score.push_back(outputs == 1 ? s[0] : s[1]);
      positive.push_back(true_class == 1);
    }
  }
  for (size_t c = 0; c < k; ++c) {
    int64_t tp = m.confusion[c][c], fp = 0, fn = 0;
    for (size_t o = 0; o < k; ++o) {
      if (o != c) fp += m.confusion[o][c], fn += m.confusion[c][o];
    }
    m.classes.push_back(from_counts(labels[c], tp, fp, fn));
  }
  m.accuracy = rows ? static_cast<double>(hits) / rows : 0;
  if (k == 2) {
    m.has_auc = true;
    m.roc_auc = roc_auc(positive_score, positive);
  }
  finish_macro(&m);
  return m;
}

}  // namespace quiver::train
