// The command line's one error path (README "Commands"): any usage error exits 2 with
// exactly one line on stderr, near misses get a did-you-mean hint, and --help / --version
// still print and exit 0.
#include <algorithm>
#include <string>

#include "testutil.h"

namespace quiver {
namespace {

using CmdRun = testutil::ShellRun;  // .out: stderr for quiver_err, stdout for quiver_out

CmdRun quiver_err(const std::string& args) { return testutil::quiver_stderr(args); }
CmdRun quiver_out(const std::string& args) { return testutil::quiver_stdout(args); }

void expect_usage_error(const std::string& args, const std::string& line) {
  CmdRun r = quiver_err(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
  EXPECT_EQ(r.out, line + "\n") << args;
}

TEST(UsageErrorTest, UnknownTopLevelOption) {
  expect_usage_error("--bogus", "quiver: invalid argument: unknown option '--bogus'");
  expect_usage_error("--verison", "quiver: invalid argument: unknown option '--verison' (did you mean --version?)");
}

TEST(UsageErrorTest, UnknownCommandSuggestsTheClosest) {
  expect_usage_error("trian --data d.csv", "quiver: invalid argument: unknown command 'trian' (did you mean 'train'?)");
  expect_usage_error("serv", "quiver: invalid argument: unknown command 'serv' (did you mean 'serve'?)");
  expect_usage_error("frobnicate", "quiver: invalid argument: unknown command 'frobnicate'");
}

TEST(UsageErrorTest, MissingCommandListsThem) {
  CmdRun r = quiver_err("");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out.rfind("quiver: invalid argument: missing command (one of: segment, bench, ", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST(UsageErrorTest, UnknownOptionOfACommandSuggestsTheClosest) {
  expect_usage_error("train --data d.csv --model m.h5 --epoch 3",
                     "quiver train: invalid argument: unknown option '--epoch' (did you mean --epochs?)");
  expect_usage_error("train --data d.csv --model m.h5 --epoch=3",
                     "quiver train: invalid argument: unknown option '--epoch' (did you mean --epochs?)");
  expect_usage_error("serve --config c.yaml --prot 0",
                     "quiver serve: invalid argument: unknown option '--prot' (did you mean --port?)");
  expect_usage_error("inspect m.h5 --frobnicate", "quiver inspect: invalid argument: unknown option '--frobnicate'");
}

TEST(UsageErrorTest, UnexpectedPositionalArgument) {
  expect_usage_error("serve --config c.yaml extra", "quiver serve: invalid argument: unexpected argument 'extra'");
}

TEST(UsageErrorTest, WrongValueType) {
  expect_usage_error("serve --config c.yaml --port abc",
                     "quiver serve: invalid argument: --port: expected an integer in [0, 65535], got 'abc'");
  expect_usage_error("serve --config c.yaml --port 70000",
                     "quiver serve: invalid argument: --port: expected an integer in [0, 65535], got '70000'");
  expect_usage_error("bench --model m.h5 --batch x --seq-len 4 --threads 1",
                     "quiver bench: invalid argument: --batch: expected an integer, got 'x'");
}

TEST(UsageErrorTest, BadEnumValue) {
  expect_usage_error("predict --model m.h5 --weights fp16",
                     "quiver predict: invalid argument: --weights: expected fp32, bf16 or int8, got 'fp16'");
  expect_usage_error("inspect m.h5 --hard-sigmoid keras4",
                     "quiver inspect: invalid argument: --hard-sigmoid: expected auto, keras2 or keras3, got 'keras4'");
}

TEST(UsageErrorTest, MissingRequiredOptionOrValue) {
  expect_usage_error("serve", "quiver serve: invalid argument: missing required option --config");
  expect_usage_error("serve --config", "quiver serve: invalid argument: --config: needs a value");
}

TEST(UsageErrorTest, HelpAndVersionExitZero) {
  CmdRun help = quiver_out("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("train"), std::string::npos) << help.out;
  CmdRun train_help = quiver_out("train --help");
  EXPECT_EQ(train_help.code, 0);
  EXPECT_NE(train_help.out.find("--epochs"), std::string::npos) << train_help.out;
  CmdRun version = quiver_out("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out.rfind("quiver ", 0), 0u) << version.out;
  EXPECT_EQ(quiver_err("--help").out, "");
}

}  // namespace
}  // namespace quiver
