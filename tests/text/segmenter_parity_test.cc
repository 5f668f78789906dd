// Parity of quiver's jieba segmenter with Python jieba 0.42.1 (Debian python3-jieba, the
// reference implementation) on real Chinese text: fortunes-zh and the Chinese LibreOffice
// help. segmenter_reference.py builds the corpus and segments every sentence in one Python
// process; this test segments the same sentences in-process and requires identical token
// sequences in every mode, with and without a user dictionary. The agreement rate of each
// mode is printed to the test log.
//
// Corpus size: QUIVER_SEGMENTER_SENTENCES (default 10000) evenly spaced sentences of both;
// QUIVER_SEGMENTER_SENTENCES=all uses the whole corpus (about 58,000 sentences, 1.6 M
// characters; Python needs about 25 s of CPU for it).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quiver/segmenter.h"
#include "testutil.h"

namespace quiver {
namespace {

// Every form load_userdict accepts: freq and tag, freq only, tag only, word only, freq 0
// (deletes the word and forces the HMM to split it), words new to the dictionary.
constexpr char kUserDict[] =
    "数据透视表 1000 n\n"
    "幻灯片放映\n"
    "超链接 5\n"
    "单元格区域 n\n"
    "LibreOffice 50000 eng\n"
    "宏 0\n"
    "文本框 0\n"
    "江南好\n"
    "共享 0\n"
    "\xEF\xBB\xBF" "工作表标签 20\n"
    "  \n"
    "对话框 3 n\n"
    "C++程序 x\n";

const char* const kModes[] = {"jieba", "jieba-nohmm", "jieba-search"};

struct Row {
  std::string corpus;
  std::string sentence;
  nlohmann::json expected;  // mode (or "user:" + mode) -> tokens
};

std::string corpus_dir() {
  return testutil::source_dir() +
         "/third_party/cache/libreoffice-help-zh-cn/usr/share/libreoffice/help/zh-CN";
}

bool python_jieba_available() {
  return std::system("/usr/bin/python3 -c 'import jieba' >/dev/null 2>&1") == 0;
}

// Runs segmenter_reference.py; returns its rows (empty on failure).
std::vector<Row> python_reference(const testutil::TempDir& tmp, const std::string& user_dict) {
  std::string limit = testutil::env_or("QUIVER_SEGMENTER_SENTENCES", "10000");
  std::string out = tmp.file("reference.jsonl");
  std::string cmd = "/usr/bin/python3 " + testutil::source_dir() +
                    "/tests/text/segmenter_reference.py --help-dir '" + corpus_dir() +
                    "' --user-dict '" + user_dict + "' --out '" + out + "'" +
                    (limit == "all" ? "" : " --limit " + limit);
  std::vector<Row> rows;
  if (std::system(cmd.c_str()) != 0) return rows;
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    rows.push_back({j["corpus"], j["sentence"], j});
  }
  return rows;
}

std::string show(const std::vector<std::string>& tokens) {
  return nlohmann::json(tokens).dump();
}

TEST(SegmenterParityTest, MatchesPythonJiebaOnEverySentenceInEveryMode) {
  if (!python_jieba_available()) GTEST_SKIP() << "no /usr/bin/python3 with jieba";
  testutil::TempDir tmp;
  std::string user_dict = tmp.file("user.dict");
  std::ofstream(user_dict) << kUserDict;
  std::vector<Row> rows = python_reference(tmp, user_dict);
  ASSERT_FALSE(rows.empty()) << "segmenter_reference.py failed";
  SegmenterCache cache;  // one dictionary per user dict for the three modes
  for (bool with_user : {false, true}) {
    for (const char* mode : kModes) {
      SegmenterOptions options;
      if (with_user) options.user_dict = user_dict;
      auto segmenter = cache.get(mode, options);
      ASSERT_OK(segmenter);
      std::string key = (with_user ? "user:" : "") + std::string(mode);
      size_t same = 0, shown = 0;
      for (const Row& row : rows) {
        auto tokens = (*segmenter)->segment(row.sentence);
        ASSERT_OK(tokens);
        std::vector<std::string> expected = row.expected[key];
        if (*tokens == expected) {
          ++same;
        } else if (shown++ < 5) {
          ADD_FAILURE() << key << " differs on " << row.corpus << " sentence "
                        << nlohmann::json(row.sentence).dump() << "\n  python: "
                        << show(expected) << "\n  quiver: " << show(*tokens);
        }
      }
      std::printf("segmenter parity %-18s %zu/%zu sentences identical (%.3f%%)\n",
                  key.c_str(), same, rows.size(), 100.0 * same / rows.size());
      EXPECT_EQ(same, rows.size()) << key;
    }
  }
}

}  // namespace
}  // namespace quiver
