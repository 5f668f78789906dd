// The models the server and isolation tests use, made by the suite itself so that a fresh
// clone runs every one of those tests (no ../shared): tests/server/make_suite_models.py
// writes them once per build tree, Keras files with random weights plus the reference outputs
// TensorFlow.js gives (see that script for the list). Several test processes may ask at
// once: testutil::make_once makes the first write them and the others wait and reuse them.
#ifndef QUIVER_TESTS_SUITE_MODELS_H_
#define QUIVER_TESTS_SUITE_MODELS_H_

#include <filesystem>
#include <functional>
#include <string>

#include "testutil.h"

namespace quiver::testutil {

// The suite's model folders, by what they are.
inline const char* kTextModel = "text_bilstm";          // tokenizer.json, T=80, 1 unit
inline const char* kIdsModel = "ids_lstm";  // any length (rows of 40), 5000 ids, no tokenizer
inline const char* kZhCnnModel = "textcnn_zh";          // tokenizer.pkl (jieba), T=50, 1 unit
inline const char* kMultiLabelModel = "multilabel_lstm";  // T=50, 5 sigmoid units
inline const char* kKerasZipModel = "simplernn_keras";  // .keras, T=50, 1 unit

// The folder holding every suite model (made on first use), or "" when they could not be
// made (its make.log says why). Keyed by the generator's contents, so an edited generator
// makes fresh models.
inline std::string suite_models_dir() {
  static const std::string dir = [] {
    const std::string script = source_dir() + "/tests/server/make_suite_models.py";
    const std::string key = std::to_string(std::hash<std::string>{}(read_text_file(script)));
    return make_once("suite_models_" + key.substr(0, 8), [&](const std::string& root) {
      return shell("QUIVER_NPM_DIR='" + npm_dir() + "' /usr/bin/python3 '" + script + "' '" +
                   root + "' > '" + root + "/make.log' 2>&1")
                 .code == 0;
    });
  }();
  return dir;
}

// <suite>/<name>/model.h5 or model.keras.
inline std::string suite_model_file(const std::string& name) {
  const std::string folder = suite_models_dir() + "/" + name;
  return std::filesystem::exists(folder + "/model.h5") ? folder + "/model.h5"
                                                        : folder + "/model.keras";
}

}  // namespace quiver::testutil

#endif  // QUIVER_TESTS_SUITE_MODELS_H_
