// `quiver fit-tokenizer` and `quiver tokenize` end to end, against Python's csv module +
// keras_preprocessing (Tokenizer, texts_to_sequences, pad_sequences) on the same CSV.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "python_reference.h"

namespace quiver {
namespace {

using nlohmann::json;
using testutil::sh_quote;
using testutil::TempDir;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `quiver args` with `input` on stdin.
RunResult run_quiver(const std::string& args, const std::string& input, const TempDir& dir) {
  testutil::write_text_file(dir.file("stdin"), input);
  std::string cmd = sh_quote(testutil::quiver_binary()) + " " + args + " <" +
                    sh_quote(dir.file("stdin")) + " >" + sh_quote(dir.file("stdout")) + " 2>" +
                    sh_quote(dir.file("stderr"));
  int rc = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = testutil::read_text_file(dir.file("stdout"));
  r.err = testutil::read_text_file(dir.file("stderr"));
  return r;
}

std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string lines_of(const json& sequences) {
  std::string out;
  for (const json& seq : sequences) out += seq.dump() + "\n";
  return out;
}

// Fits with the CLI and with Python on `csv_path`, then tokenizes `probe` both ways.
void expect_cli_matches_keras(const std::string& csv_path, const std::string& column,
                              const std::string& cli_flags, const json& config,
                              const std::vector<std::string>& probe) {
  SCOPED_TRACE(cli_flags);
  TempDir dir;
  std::string out = dir.file("tok.json");
  // --allow-empty-text: the blank lines of multilingual.txt are documents to Keras too.
  RunResult fit = run_quiver("fit-tokenizer --data " + sh_quote(csv_path) + " --text-column " +
                                 sh_quote(column) + " --allow-empty-text " + cli_flags +
                                 " --out " + sh_quote(out),
                             "", dir);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  json pads = json::array({{{"name", "post"}, {"maxlen", 7}, {"padding", "post"}, {"truncating", "pre"}},
                           {{"name", "pre"}, {"maxlen", 3}, {"padding", "pre"}, {"truncating", "post"}}});
  json request = {{"csv", csv_path}, {"text_column", column}, {"config", config},
                  {"probe", probe}, {"pads", pads}};
  json want;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference("csv_fit", request, &want, dir));
  EXPECT_EQ(testutil::first_difference(testutil::read_text_file(out), want["json"]), "");
  std::string input;
  for (const std::string& line : probe) input += line + "\n";
  RunResult plain = run_quiver("tokenize --tokenizer " + sh_quote(out), input, dir);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, lines_of(want["sequences"]));
  RunResult post = run_quiver("tokenize --tokenizer " + sh_quote(out) +
                                  " --maxlen 7 --padding post --truncating pre", input, dir);
  EXPECT_EQ(post.out, lines_of(want["padded"]["post"]));
  RunResult pre = run_quiver("tokenize --tokenizer " + sh_quote(out) +
                                 " --maxlen 3 --truncating post", input, dir);
  EXPECT_EQ(pre.out, lines_of(want["padded"]["pre"]));
}

class TokenizerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(testutil::quiver_binary())) GTEST_SKIP() << "no quiver binary";
    // A CSV with a BOM, CRLF line ends, quoted commas, doubled quotes and newlines in fields.
    lines_ = testutil::multilingual_lines();
    std::string csv = "\xEF\xBB\xBFid,text,label\r\n";
    for (size_t i = 0; i < lines_.size(); ++i) {
      csv += std::to_string(i) + "," + csv_field(lines_[i]) + "," + std::to_string(i % 2) + "\r\n";
    }
    csv += "99,\"multi\nline, \"\"quoted\"\" text\",1\r\n";
    testutil::write_text_file(dir_.file("data.csv"), csv);
  }
  TempDir dir_;
  std::vector<std::string> lines_;
};

TEST_F(TokenizerCliTest, FitAndTokenizeMatchKeras) {
  std::string csv = dir_.file("data.csv");
  expect_cli_matches_keras(csv, "text", "", json::object(), lines_);
  expect_cli_matches_keras(csv, "text", "--num-words 30 --oov-token '<OOV>'",
                           {{"num_words", 30}, {"oov_token", "<OOV>"}}, lines_);
  expect_cli_matches_keras(csv, "text", "--char-level --no-lower --oov-token ' '",
                           {{"char_level", true}, {"lower", false}, {"oov_token", " "}}, lines_);
  expect_cli_matches_keras(csv, "text", "--filters '' --split 'a'",
                           {{"filters", ""}, {"split", "a"}}, lines_);
}

TEST_F(TokenizerCliTest, FitsPublishedCsvLikeKeras) {
  std::string csv = testutil::shared_dir() +
                    "/keras-models/k2.8.0_biascoder_bilstm_binary/sample_dataset_bersih.csv";
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << testutil::shared_absent(csv);
  expect_cli_matches_keras(csv, "text", "--num-words 100 --oov-token '<OOV>'",
                           {{"num_words", 100}, {"oov_token", "<OOV>"}},
                           {"['vaksin', 'covid']", "vaksin sinovac halal", "tidak ada"});
}

TEST_F(TokenizerCliTest, ErrorsAreOneLineWithStatusExitCodes) {
  std::string tok = dir_.file("tok.json");
  auto expect_error = [&](const std::string& args, const std::string& input, int code,
                          const std::string& message) {
    RunResult r = run_quiver(args, input, dir_);
    EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  expect_error("fit-tokenizer --data /nonexistent.csv --out " + tok, "", 3, "/nonexistent.csv");
  expect_error("fit-tokenizer --data " + dir_.file("data.csv") + " --text-column body --out " + tok,
               "", 3, "no column 'body' (columns: id, text, label)");
  testutil::write_text_file(dir_.file("bad.csv"), "text\n\"ok\"\n\"open\n");
  expect_error("fit-tokenizer --data " + dir_.file("bad.csv") + " --out " + tok, "", 2,
               "bad.csv:3: unterminated quoted field");
  expect_error("fit-tokenizer --data " + dir_.file("data.csv") + " --split '' --out " + tok, "",
               2, "empty separator");
  EXPECT_FALSE(std::filesystem::exists(tok));
  // data.csv has blank texts (Keras' comparison data): fitting on them is explicit.
  ASSERT_EQ(run_quiver("fit-tokenizer --allow-empty-text --data " + dir_.file("data.csv") +
                           " --out " + tok, "", dir_)
                .exit_code, 0);
  expect_error("tokenize --tokenizer " + tok, "ok\n\xC3\x28\n", 2, "stdin line 2: ill-formed UTF-8");
  expect_error("tokenize --tokenizer " + tok + " --maxlen 4 --padding middle", "", 2,
               "--padding: expected pre or post, got 'middle'");
  expect_error("tokenize --tokenizer " + tok + " --maxlen 0", "", 2, "--maxlen: must be in");
  testutil::write_text_file(dir_.file("broken.json"), "{\"config\": {\"word_index\": \"{\\\"a\\\"\"}}");
  expect_error("tokenize --tokenizer " + dir_.file("broken.json"), "", 4,
               "broken.json: tokenizer JSON: config.word_index: malformed JSON");
}

}  // namespace
}  // namespace quiver
