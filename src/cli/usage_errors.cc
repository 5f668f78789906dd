#include "cli/usage_errors.h"

#include <charconv>

#include "base/suggest.h"

namespace quiver::cli {
namespace {

// The (innermost) subcommand being parsed when the error was thrown (CLI11 records a
// subcommand as parsed as soon as its name is read), or the app itself.
CLI::App& active_command(CLI::App& app) {
  CLI::App* cmd = &app;
  while (!cmd->get_subcommands().empty()) cmd = cmd->get_subcommands().back();
  return *cmd;
}

// "train", "help options": the path below the app.
std::string command_path(const CLI::App& app, const CLI::App& cmd) {
  std::string path;
  for (const CLI::App* c = &cmd; c != nullptr && c != &app; c = c->get_parent()) {
    path = c->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

std::vector<std::string> option_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden aliases: suggest the current name
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());  // not the hidden ones
  }
  return names;
}

// "--epoch=3" -> "--epoch".
std::string option_word(const std::string& arg) { return arg.substr(0, arg.find('=')); }

std::string unknown_option(const CLI::App& cmd, const std::string& arg) {
  const std::string word = option_word(arg);
  return "unknown option '" + word + "'" + base::did_you_mean(word, option_names(cmd), false);
}

// The first argument nobody took: CLI11 keeps them in `remaining()` in command-line order.
std::string unexpected(CLI::App& app, const CLI::App& cmd) {
  std::vector<std::string> rest = cmd.remaining();
  if (rest.empty()) rest = app.remaining();
  if (rest.empty()) return "unexpected arguments";
  const std::string& first = rest.front();
  if (first.size() > 1 && first[0] == '-') return unknown_option(cmd, first);
  return "unexpected argument '" + first + "'";
}

// No subcommand: `quiver`, `quiver --bogus`, `quiver trian`.
std::string missing_command(CLI::App& app) {
  const std::vector<std::string> names = command_names(app);
  const std::vector<std::string> rest = app.remaining();
  if (rest.empty()) return "missing command (one of: " + base::or_list(names) + ")";
  const std::string& first = rest.front();
  if (first.size() > 1 && first[0] == '-') return unknown_option(app, first);
  return "unknown command '" + first + "'" + base::did_you_mean(first, names);
}

// "Could not convert: --port = abc" -> "--port: expected an integer, got 'abc'".
std::string conversion(const CLI::App& cmd, const std::string& what) {
  const std::string prefix = "Could not convert: ";
  const size_t eq = what.find(" = ");
  if (what.rfind(prefix, 0) != 0 || eq == std::string::npos) return what;
  const std::string name = what.substr(prefix.size(), eq - prefix.size());
  const std::string value = what.substr(eq + 3);
  std::string type;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->check_name(name)) type = opt->get_type_name();
  }
  const std::string expected = type == "INT" || type == "UINT" ? "an integer"
                               : type == "FLOAT"                ? "a number"
                                                                : "a " + type;
  return name + ": expected " + expected + ", got '" + value + "'";
}

std::string message_for(CLI::App& app, const CLI::ParseError& e) {
  CLI::App& cmd = active_command(app);
  const std::string what = e.what();
  const std::string name = e.get_name();
  if (name == "RequiredError") {
    if (what == "A subcommand is required") return missing_command(cmd);
    const std::string tail = " is required";
    if (what.size() > tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0) {
      return "missing required option " + what.substr(0, what.size() - tail.size());
    }
    return what;
  }
  if (name == "ConversionError") return conversion(cmd, what);
  if (name == "ArgumentMismatch") {
    // "--model: 1 required TEXT missing", "--epochs: At Most 1 required but received 2".
    const size_t colon = what.find(':');
    if (colon == std::string::npos) return what;
    const std::string option = what.substr(0, colon);
    if (what.find(" missing", colon) != std::string::npos) return option + ": needs a value";
    if (what.find("At Most 1 ", colon) != std::string::npos) return option + ": given more than once";
    return what;
  }
  // ExtrasError takes the name of the (sub)command it was thrown in.
  if (what.find("not expected") != std::string::npos) return unexpected(app, cmd);
  return what;
}

}  // namespace

CLI::Validator one_of(std::vector<std::string> choices) {
  const std::string desc = "{" + [&] {
    std::string s;
    for (const auto& c : choices) s += (s.empty() ? "" : ",") + c;
    return s;
  }() + "}";
  return CLI::Validator(
      [choices](std::string& value) -> std::string {
        for (const auto& c : choices) {
          if (value == c) return "";
        }
        return "expected " + base::or_list(choices) + ", got '" + value + "'";
      },
      desc);
}

CLI::Validator int_range(int64_t min_value, int64_t max_value) {
  return CLI::Validator(
      [min_value, max_value](std::string& value) -> std::string {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || end != value.data() + value.size() || v < min_value ||
            v > max_value) {
          return "expected an integer in [" + std::to_string(min_value) + ", " +
                 std::to_string(max_value) + "], got '" + value + "'";
        }
        return "";
      },
      "INT in [" + std::to_string(min_value) + " - " + std::to_string(max_value) + "]");
}

bool is_help_or_version(const CLI::ParseError& e) {
  return e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success);
}

Status usage_error(CLI::App& app, const CLI::ParseError& e, std::string* command) {
  const CLI::App& cmd = active_command(app);
  *command = command_path(app, cmd);
  return invalid_argument(message_for(app, e));
}

}  // namespace quiver::cli
