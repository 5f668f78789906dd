// Command-line usage errors. CLI11 throws a ParseError for an unknown option or command, a
// value of the wrong type, a value outside its choices and a missing required option;
// main() turns every one of them into an InvalidArgument Status with usage_error() and
// prints it like any failed command's Status: ONE line on stderr, exit code 2 (README
// "Commands"), e.g. "quiver train: invalid argument: unknown option '--epoch' (did you mean
// --epochs?)". --help and --version are ParseErrors too (is_help_or_version): they print
// and exit 0.
#ifndef QUIVER_CLI_USAGE_ERRORS_H_
#define QUIVER_CLI_USAGE_ERRORS_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "quiver/status.h"

namespace quiver::cli {

bool is_help_or_version(const CLI::ParseError& e);

// The error as an InvalidArgument Status with a did-you-mean hint for a misspelt option
// or command; *command is set to the subcommand being parsed ("" for none).
Status usage_error(CLI::App& app, const CLI::ParseError& e, std::string* command);

// Validators whose messages match the serve config's wording, so a flag and its YAML key
// fail alike: "--weights: expected fp32, bf16 or int8, got 'fp16'".
CLI::Validator one_of(std::vector<std::string> choices);
CLI::Validator int_range(int64_t min_value, int64_t max_value);

}  // namespace quiver::cli

#endif  // QUIVER_CLI_USAGE_ERRORS_H_
