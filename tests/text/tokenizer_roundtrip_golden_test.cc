// Interchange with Keras (Debian python3-keras-preprocessing): quiver's to_json() read by
// Python's tokenizer_from_json gives the same sequences and re-serialises to the same bytes;
// a real triple-encoded tokenizer file from a published model loads identically in both;
// pad_sequence equals pad_sequences; ill-formed UTF-8 is replaced as Python's
// bytes.decode("utf-8", "replace") does.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "python_reference.h"
#include "quiver/tokenizer.h"
#include "text/unicode.h"

namespace quiver {
namespace {

using nlohmann::json;
using testutil::TempDir;

TEST(TokenizerRoundTripTest, QuiverJsonLoadsInKerasWithSameSequences) {
  std::vector<std::string> texts = testutil::multilingual_lines();
  ASSERT_GT(texts.size(), 20u);
  std::vector<std::string> fit(texts.begin(), texts.begin() + 18);
  std::vector<TokenizerConfig> configs(6);
  configs[1].oov_token = "<OOV>";
  configs[1].num_words = 40;
  configs[2].char_level = true;
  configs[2].oov_token = "?";
  configs[3].lower = false;
  configs[3].split = "ΣΑ";
  configs[3].filters = "\"\\ 😀\t";
  configs[4].oov_token = "and";  // also a word of the texts
  configs[5].num_words = 0;
  json cases = json::array();
  std::vector<Tokenizer> toks;
  for (const TokenizerConfig& c : configs) {
    Tokenizer tok(c);
    ASSERT_OK(tok.fit_on_texts(fit));
    cases.push_back({{"json", tok.to_json()}, {"texts", texts}});
    toks.push_back(tok);
  }
  TempDir dir;
  json resp;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference("load", {{"cases", cases}}, &resp, dir));
  for (size_t k = 0; k < toks.size(); ++k) {
    SCOPED_TRACE("config " + std::to_string(k));
    EXPECT_EQ(testutil::first_difference(toks[k].to_json(), resp[k]["to_json"]), "");
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(toks[k].text_to_sequence(texts[i]), resp[k]["sequences"][i].get<std::vector<int32_t>>())
          << texts[i];
    }
  }
}

TEST(TokenizerRoundTripTest, RealTripleEncodedFileLoadsLikeKeras) {
  std::string folder = testutil::shared_dir() + "/keras-models/k2.8.0_biascoder_bilstm_binary";
  if (!std::filesystem::exists(folder + "/tokenizer.json")) GTEST_SKIP() << testutil::shared_absent(folder);
  std::string file = testutil::read_text_file(folder + "/tokenizer.json");
  auto tok = Tokenizer::from_json(file);
  ASSERT_OK(tok);
  EXPECT_EQ(tok->config().num_words, 14202);
  EXPECT_EQ(tok->oov_token_index(), 1);
  std::vector<std::string> texts = {
      "Vaksinasi COVID-19 di Surabaya, pandemi belum selesai!",
      "menteri ajak insan pariwisata patuh protokol kesehatan",
      "kata-kata yang tidak dikenal: xyzzy qwerty", ""};
  TempDir dir;
  json resp;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference(
      "load", {{"cases", {{{"json", file}, {"texts", texts}}}}}, &resp, dir));
  EXPECT_EQ(testutil::first_difference(tok->to_json(), resp[0]["to_json"]), "");
  EXPECT_EQ(tok->word_index().size(), resp[0]["word_index"].size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(tok->text_to_sequence(texts[i]), resp[0]["sequences"][i].get<std::vector<int32_t>>());
  }
}

TEST(PadSequenceTest, MatchesKerasPadSequences) {
  json cases = json::array();
  std::vector<std::vector<int32_t>> seqs = {{}, {7}, {1, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8}};
  for (const auto& seq : seqs) {
    for (int64_t maxlen : {1, 3, 5, 8, 11}) {
      for (const char* padding : {"pre", "post"}) {
        for (const char* truncating : {"pre", "post"}) {
          cases.push_back({{"seq", seq}, {"maxlen", maxlen}, {"padding", padding},
                           {"truncating", truncating}, {"value", maxlen == 5 ? -1 : 0}});
        }
      }
    }
  }
  TempDir dir;
  json resp;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference("pad", {{"cases", cases}}, &resp, dir));
  ASSERT_EQ(resp.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    auto mode = [](const json& v) { return v == "pre" ? PadMode::kPre : PadMode::kPost; };
    EXPECT_EQ(pad_sequence(c["seq"].get<std::vector<int32_t>>(), c["maxlen"], mode(c["padding"]),
                           mode(c["truncating"]), c["value"].get<int32_t>()),
              resp[i].get<std::vector<int32_t>>())
        << c.dump();
  }
}

TEST(Utf8Test, LossyDecodingMatchesPythonReplace) {
  std::vector<std::string> hex = {
      "",           "41c3a9",     "c3",         "c328",       "e282",       "e28228",
      "f09f98",     "f09f9880",   "eda080",     "edbfbf",     "c080",       "e08080",
      "f0808080",   "f4908080",   "f5",         "ff41fe",     "80bf",       "e0a0",
      "f48fbfbf",   "efbbbf41",   "c2c2a9",     "e2e282ac",   "f09f41",     "61f0908d88"};
  TempDir dir;
  json resp;
  QUIVER_REQUIRE_PYTHON(testutil::python_reference("decode", {{"hex", hex}}, &resp, dir));
  for (size_t i = 0; i < hex.size(); ++i) {
    std::string bytes;
    for (size_t j = 0; j + 1 < hex[i].size(); j += 2) {
      bytes.push_back(static_cast<char>(std::stoi(hex[i].substr(j, 2), nullptr, 16)));
    }
    std::u32string got = text::decode_utf8_lossy(bytes);
    std::vector<uint32_t> got_cps(got.begin(), got.end());
    EXPECT_EQ(got_cps, resp[i].get<std::vector<uint32_t>>()) << hex[i];
    EXPECT_EQ(is_valid_utf8(bytes), got.find(text::kReplacementChar) == std::u32string::npos ||
                                        hex[i].find("efbfbd") != std::string::npos)
        << hex[i];
  }
}

}  // namespace
}  // namespace quiver
