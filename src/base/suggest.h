// "Did you mean ...?" for misspelt names (CLI options, subcommands, config keys), and the
// wording of a list of choices.
// Thread-safety: pure functions.
#ifndef QUIVER_BASE_SUGGEST_H_
#define QUIVER_BASE_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace quiver::base {

// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1 ("trian" -> "train" is 1).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `given`, or "" when none is close enough: a distance of at most
// 2, and less than half of `given`'s length (so "--bogus" suggests nothing). Ties go to the
// earlier candidate. Leading dashes take part in neither limit.
std::string closest_name(std::string_view given, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" for closest_name's answer, or "" when there is none. `quote`
// false gives " (did you mean --epochs?)".
std::string did_you_mean(std::string_view given, const std::vector<std::string>& candidates,
                         bool quote = true);

// "a, b or c": the list of choices in messages ("expected lstm, bilstm, gru, bigru or cnn,
// got 'rnn'") of the CLI's validators and the option table alike.
std::string or_list(const std::vector<std::string>& choices);

}  // namespace quiver::base

#endif  // QUIVER_BASE_SUGGEST_H_
