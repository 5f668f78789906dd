// `quiver segment` end to end (the form external checks call): each stdin line's tokens as a
// JSON array, against Python jieba 0.42.1 (Debian python3-jieba) on the same lines.
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver {
namespace {

using testutil::read_text_file;

using nlohmann::json;

// The binary under test: QUIVER_BINARY when CTest passes it, else the path CMake compiled in.
std::string quiver() {
  return testutil::env_or("QUIVER_BINARY", QUIVER_CLI_BINARY);
}

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

CliRun run(const std::string& cmd, const testutil::TempDir& dir) {
  int rc = std::system((cmd + " >" + dir.file("out") + " 2>" + dir.file("err")).c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text_file(dir.file("out")),
          read_text_file(dir.file("err"))};
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  return rows;
}

// Lines end at "\n" or "\r\n"; an empty line, spaces, Latin text, an ANSI escape.
constexpr char kInput[] =
    "我来到北京清华大学\r\n"
    "\n"
    "  LibreOffice 7.4 帮助：数据透视表和超链接。\n"
    "\x1b[33m    -- Debian \x1b[32m《行为准则》\x1b[m第一条\n"
    "江南好，风景旧曾谙";

// Python's tokens for each line of `input_path` (split as the CLI splits lines), per mode:
// {"jieba": [[tokens of line 1], ...], "jieba-nohmm": ..., "jieba-search": ...}.
json python_tokens(const testutil::TempDir& dir, const std::string& input_path,
                   const std::string& user_dict) {
  std::string script =
      "import jieba, json, sys\n"
      "jieba.setLogLevel(60)\n"
      "t = jieba.Tokenizer()\n"
      "if sys.argv[2]: t.load_userdict(sys.argv[2])\n"
      "lines = open(sys.argv[1], 'rb').read().decode('utf-8').split('\\n')\n"
      "if lines and lines[-1] == '': lines.pop()\n"
      "lines = [l[:-1] if l.endswith('\\r') else l for l in lines]\n"
      "print(json.dumps({'jieba': [t.lcut(l) for l in lines],\n"
      "                  'jieba-nohmm': [t.lcut(l, HMM=False) for l in lines],\n"
      "                  'jieba-search': [t.lcut_for_search(l) for l in lines]}))\n";
  std::ofstream(dir.file("ref.py")) << script;
  CliRun r = run("/usr/bin/python3 " + dir.file("ref.py") + " " + input_path + " '" + user_dict + "'",
              dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

bool python_jieba_available() {
  return std::system("/usr/bin/python3 -c 'import jieba' >/dev/null 2>&1") == 0;
}

TEST(SegmenterCliTest, PrintsPythonJiebaTokensAsOneJsonArrayPerLine) {
  if (!python_jieba_available()) GTEST_SKIP() << "no /usr/bin/python3 with jieba";
  testutil::TempDir dir;
  std::ofstream(dir.file("in.txt"), std::ios::binary) << kInput;
  std::ofstream(dir.file("user.dict")) << "数据透视表 1000 n\n江南好\n超链接 0\n";
  for (std::string user : {std::string(), dir.file("user.dict")}) {
    json expected = python_tokens(dir, dir.file("in.txt"), user);
    for (std::string mode : {"jieba", "jieba-nohmm", "jieba-search"}) {
      SCOPED_TRACE(mode + " user dict: " + user);
      CliRun r = run(quiver() + " segment --segmenter " + mode +
                      (user.empty() ? "" : " --user-dict " + user) + " <" + dir.file("in.txt"),
                  dir);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::vector<json> got = json_lines(r.out);
      ASSERT_EQ(got.size(), 5u) << r.out;
      EXPECT_EQ(json(got), expected[mode]);
    }
  }
}

TEST(SegmenterCliTest, CjkCharsAndNoneNeedNoDictionary) {
  testutil::TempDir dir;
  std::ofstream(dir.file("in.txt")) << "我爱 New York\n";
  CliRun r = run(quiver() + " segment --segmenter cjk-chars --jieba-dir /nonexistent <" +
                  dir.file("in.txt"),
              dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[\"我\",\"爱\",\"New\",\"York\"]\n");
}

TEST(SegmenterCliTest, ErrorsNameTheProblemAndSetTheExitCode) {
  testutil::TempDir dir;
  std::ofstream(dir.file("in.txt"), std::ios::binary) << "好\n\xFF\n";
  CliRun bad_mode = run(quiver() + " segment --segmenter bogus <" +
                         dir.file("in.txt"),
                     dir);
  EXPECT_EQ(bad_mode.exit_code, 2);
  EXPECT_NE(bad_mode.err.find("unknown segmenter 'bogus'"), std::string::npos) << bad_mode.err;
  CliRun bad_utf8 = run(quiver() + " segment --segmenter cjk-chars <" +
                         dir.file("in.txt"),
                     dir);
  EXPECT_EQ(bad_utf8.exit_code, 2);
  EXPECT_EQ(bad_utf8.out, "[\"好\"]\n");  // lines before the bad one are written
  EXPECT_NE(bad_utf8.err.find("stdin line 2: invalid UTF-8 at byte 0"), std::string::npos)
      << bad_utf8.err;
  CliRun no_dict = run(quiver() + " segment --segmenter jieba --jieba-dir /nonexistent <" +
                        dir.file("in.txt"),
                    dir);
  EXPECT_EQ(no_dict.exit_code, 3);
  EXPECT_NE(no_dict.err.find("/nonexistent/finalseg/prob_start.py: no such file"), std::string::npos)
      << no_dict.err;
}

}  // namespace
}  // namespace quiver
