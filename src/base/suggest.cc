#include "base/suggest.h"

#include <algorithm>

namespace quiver::base {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the Damerau (optimal string alignment) table.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_name(std::string_view given, const std::vector<std::string>& candidates) {
  std::string_view bare = given;
  while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  std::string best;
  size_t best_distance = 3;  // at most 2
  for (const auto& c : candidates) {
    if (c == given) continue;
    const size_t d = edit_distance(given, c);
    if (d < best_distance && 2 * d < bare.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates,
                         bool quote) {
  const std::string best = closest_name(given, candidates);
  if (best.empty()) return "";
  return quote ? " (did you mean '" + best + "'?)" : " (did you mean " + best + "?)";
}

std::string or_list(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

}  // namespace quiver::base
