// Small models for the group tests, trained once per build tree by `quiver serve` itself
// (train_if_missing): three binary models A, B, C ("does the sentence mention sunny /
// rainy / windy weather") and one multi-label model `ml` whose labels are A, B, C. The
// data is generated deterministically; the models are tiny CNNs (a few seconds in all).
// Made once per build tree by testutil::make_once (test processes running at once wait for
// the first).
#ifndef QUIVER_TESTS_SERVER_GROUP_MODELS_H_
#define QUIVER_TESTS_SERVER_GROUP_MODELS_H_

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "http_client.h"
#include "testutil.h"

namespace quiver::testing {

inline const std::vector<std::string> kGroupCategories = {"A", "B", "C"};

// Deterministic sentences and their categories (each sentence has at least one).
struct WeatherData {
  std::vector<std::string> texts;
  std::vector<std::vector<bool>> has;  // [row][category]
};

inline WeatherData weather_data(int rows, unsigned seed) {
  const std::vector<std::string> signal = {"sunny", "rainy", "windy"};
  const std::vector<std::string> filler = {"the", "day",  "was",     "quite",   "very",
                                           "so",  "today", "morning", "evening", "really"};
  std::mt19937 rng(seed);
  WeatherData d;
  for (int r = 0; r < rows; ++r) {
    std::vector<bool> has(3);
    do {
      for (auto&& h : has) h = rng() % 2;
    } while (!has[0] && !has[1] && !has[2]);
    std::vector<std::string> words;
    for (size_t c = 0; c < 3; ++c) {
      if (has[c]) words.push_back(signal[c]);
    }
    for (int w = 0, n = 2 + static_cast<int>(rng() % 4); w < n; ++w)
      words.push_back(filler[rng() % filler.size()]);
    std::shuffle(words.begin(), words.end(), rng);
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    d.texts.push_back(text);
    d.has.push_back(has);
  }
  return d;
}

inline std::string group_model_entries(const std::string& dir, bool train) {
  const std::string training =
      train ? "    train_if_missing: true\n    training: {architecture: cnn, epochs: 2, "
              "embedding_dim: 8, units: 8, maxlen: 12}\n"
            : "";
  std::string out;
  for (const auto& c : kGroupCategories) {
    out += "  - name: " + c + "\n    model: " + dir + "/" + c + ".h5\n    train_data: " + dir +
           "/" + c + ".csv\n" + training;
  }
  return out + "  - name: ml\n    model: " + dir + "/ml.h5\n    train_data: " + dir +
         "/ml.csv\n" + training;
}

// The folder holding A.h5, B.h5, C.h5 and ml.h5 (+ tokenizers), or "" on failure.
inline std::string group_models_dir() {
  return testutil::make_once("group_models_v1", [](const std::string& dir) {
    const WeatherData d = weather_data(240, 7);
    std::string ml = "text,label\n";
    std::vector<std::string> binary(3, "text,label\n");
    for (size_t r = 0; r < d.texts.size(); ++r) {
      std::string labels;
      for (size_t c = 0; c < 3; ++c) {
        binary[c] += d.texts[r] + "," + (d.has[r][c] ? "1" : "0") + "\n";
        if (d.has[r][c]) labels += (labels.empty() ? "" : "|") + kGroupCategories[c];
      }
      ml += d.texts[r] + "," + labels + "\n";
    }
    for (size_t c = 0; c < 3; ++c) write_text(dir + "/" + kGroupCategories[c] + ".csv", binary[c]);
    write_text(dir + "/ml.csv", ml);
    write_text(dir + "/train.yaml", "models:\n" + group_model_entries(dir, true));
    ServerProcess trainer;
    return trainer.start(dir + "/train.yaml") && trainer.terminate() == 0;
  });
}

}  // namespace quiver::testing

#endif  // QUIVER_TESTS_SERVER_GROUP_MODELS_H_
