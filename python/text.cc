// quiver.Tokenizer (Keras' Tokenizer), quiver.pad_sequences, quiver.Segmenter and
// quiver.segment.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "bindings.h"
#include "convert.h"
#include "errors.h"
#include "quiver/segmenter.h"
#include "quiver/tokenizer.h"

namespace quiver::python {
namespace {

TokenizerConfig tokenizer_config(std::optional<int64_t> num_words, const std::string& filters,
                                 bool lower, const std::string& split, bool char_level,
                                 std::optional<std::string> oov_token) {
  TokenizerConfig c;
  if (num_words && *num_words < 0) {
    raise_invalid("num_words: expected None or an integer >= 0, got " + std::to_string(*num_words));
  }
  c.num_words = num_words;
  c.filters = filters;
  c.lower = lower;
  c.split = split;
  c.char_level = char_level;
  c.oov_token = std::move(oov_token);
  check(validate_tokenizer_config(c));
  return c;
}

template <typename Pairs>
py::dict ordered_dict(const Pairs& pairs) {
  py::dict d;  // Python dicts keep insertion order: Keras' order
  for (const auto& [k, v] : pairs) d[py::cast(k)] = py::cast(v);
  return d;
}

void fit_on_texts(Tokenizer& self, const py::handle& texts) {
  check(self.fit_on_texts(text_list(texts, "texts")));
}

py::list texts_to_sequences(const Tokenizer& self, const py::handle& texts) {
  py::list out;
  for (const auto& t : text_list(texts, "texts")) out.append(py::cast(self.text_to_sequence(t)));
  return out;
}

py::array pad_sequences(const py::handle& sequences, std::optional<int64_t> maxlen,
                        const std::string& dtype, const std::string& padding,
                        const std::string& truncating, int32_t value) {
  if (dtype != "int32") raise_invalid("dtype: only 'int32' is supported, got '" + dtype + "'");
  const PadMode pad = pad_mode(padding, "padding");
  const PadMode trunc = pad_mode(truncating, "truncating");
  std::vector<std::vector<int32_t>> seqs;
  try {
    for (const py::handle& s : sequences) seqs.push_back(s.cast<std::vector<int32_t>>());
  } catch (const py::cast_error&) {
    raise_invalid("sequences: expected a list of integer sequences");
  }
  if (maxlen && *maxlen < 0) raise_invalid("maxlen: expected None or an integer >= 0");
  int64_t len = 0;
  if (maxlen) {
    len = *maxlen;
  } else {  // Keras: the longest sequence
    for (const auto& s : seqs) len = std::max<int64_t>(len, static_cast<int64_t>(s.size()));
  }
  py::array_t<int32_t> out({static_cast<py::ssize_t>(seqs.size()), static_cast<py::ssize_t>(len)});
  int32_t* p = out.mutable_data();
  for (const auto& s : seqs) {
    std::vector<int32_t> row = pad_sequence(s, len, pad, trunc, value);
    std::copy(row.begin(), row.end(), p);
    p += len;
  }
  return out;
}

// What a quiver.Segmenter holds.
struct PySegmenter {
  std::shared_ptr<const Segmenter> segmenter;
};

std::shared_ptr<const Segmenter> make_segmenter(const std::string& mode,
                                                const std::optional<std::filesystem::path>& user_dict,
                                                const std::optional<std::filesystem::path>& jieba_dir) {
  SegmenterOptions o;
  if (user_dict) o.user_dict = path_string(*user_dict);
  if (jieba_dir) o.jieba_dir = path_string(*jieba_dir);
  Result<std::shared_ptr<const Segmenter>> r = internal_error("not run");
  {
    py::gil_scoped_release release;
    r = Segmenter::create(mode, o);
  }
  return unwrap(std::move(r));
}

py::list segment_text(const Segmenter& s, const std::string& text) {
  Result<std::vector<std::string>> r = internal_error("not run");
  {
    py::gil_scoped_release release;
    r = s.segment(text);
  }
  return py::cast(unwrap(std::move(r)));
}

// quiver.segment(text, mode=...) keeps each segmenter it made (by mode, user dictionary and
// jieba folder) for the life of the process: loading jieba's dictionary costs 0.2-0.5 s, so a
// per-call segmenter would make the function useless in a loop. quiver.Segmenter gives the
// caller control of that lifetime instead.
std::shared_ptr<const Segmenter> shared_segmenter(const std::string& mode,
                                                  const std::optional<std::filesystem::path>& user_dict,
                                                  const std::optional<std::filesystem::path>& jieba_dir) {
  using Key = std::tuple<std::string, std::string, std::string>;
  static std::mutex mu;
  static auto* made = new std::map<Key, std::shared_ptr<const Segmenter>>();
  const Key key{mode, user_dict ? path_string(*user_dict) : "", jieba_dir ? path_string(*jieba_dir) : ""};
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = made->find(key);
    if (it != made->end()) return it->second;
  }
  auto s = make_segmenter(mode, user_dict, jieba_dir);
  std::lock_guard<std::mutex> lock(mu);
  return made->emplace(key, s).first->second;
}

}  // namespace

std::shared_ptr<const Segmenter> segmenter_arg(const py::handle& arg,
                                               const std::optional<std::filesystem::path>& user_dict) {
  if (arg.is_none()) {
    if (user_dict) raise_invalid("user_dict: needs a jieba segmenter");
    return nullptr;
  }
  if (py::isinstance<PySegmenter>(arg)) return arg.cast<const PySegmenter&>().segmenter;
  return shared_segmenter(arg.cast<std::string>(), user_dict, std::nullopt);
}

void bind_text(py::module_& m) {
  py::class_<Tokenizer>(m, "Tokenizer", R"doc(
Keras' text Tokenizer (keras_preprocessing 1.1 semantics): the same word_index, word_counts
and sequences as Keras for the same texts, and the same JSON (to_json / tokenizer_from_json).

Tokenizer(num_words=None, filters=..., lower=True, split=' ', char_level=False,
oov_token=None) is Keras' constructor; Tokenizer.fit(texts, ...) makes and fits one;
from_json / from_pickle / load read a saved one (a pickle is read without running it).)doc")
      .def(py::init([](std::optional<int64_t> num_words, const std::string& filters, bool lower,
                       const std::string& split, bool char_level, std::optional<std::string> oov_token) {
             return Tokenizer(tokenizer_config(num_words, filters, lower, split, char_level,
                                               std::move(oov_token)));
           }),
           py::arg("num_words") = py::none(), py::arg("filters") = std::string(kKerasDefaultFilters),
           py::arg("lower") = true, py::arg("split") = " ", py::arg("char_level") = false,
           py::arg("oov_token") = py::none())
      .def_static(
          "fit",
          [](const py::handle& texts, std::optional<int64_t> num_words,
             std::optional<std::string> oov_token, const std::string& filters, bool lower,
             const std::string& split, bool char_level) {
            Tokenizer t(tokenizer_config(num_words, filters, lower, split, char_level,
                                         std::move(oov_token)));
            fit_on_texts(t, texts);
            return t;
          },
          py::arg("texts"), py::kw_only(), py::arg("num_words") = py::none(),
          py::arg("oov_token") = py::none(), py::arg("filters") = std::string(kKerasDefaultFilters),
          py::arg("lower") = true, py::arg("split") = " ", py::arg("char_level") = false,
          "A new Tokenizer with this configuration, fitted on `texts` (Keras' fit_on_texts).")
      .def("fit_on_texts", &fit_on_texts, py::arg("texts"),
           "Keras' fit_on_texts: counts accumulate over calls. Not thread-safe with other calls "
           "on the same Tokenizer.")
      .def("texts_to_sequences", &texts_to_sequences, py::arg("texts"),
           "Keras' texts_to_sequences: one list of ids per text (unpadded).")
      .def("to_json", &Tokenizer::to_json, "Keras' Tokenizer.to_json(), byte for byte.")
      .def_static(
          "from_json", [](const std::string& json) { return unwrap(Tokenizer::from_json(json)); },
          py::arg("json"), "Keras' tokenizer_from_json (also the double-encoded files people save).")
      .def_static(
          "from_pickle", [](const py::bytes& data) { return unwrap(Tokenizer::from_pickle(std::string(data))); },
          py::arg("data"),
          "A pickled Keras Tokenizer (protocols 2-5), read by a restricted unpickler: nothing "
          "in it runs; other classes or calls raise UnsupportedError.")
      .def_static(
          "load",
          [](const std::filesystem::path& path) {
            const std::string p = path_string(path);
            Result<Tokenizer> r = internal_error("not run");
            {
              py::gil_scoped_release release;
              r = Tokenizer::load(p);
            }
            return unwrap(std::move(r));
          },
          py::arg("path"), "Reads a tokenizer JSON or pickle file (told apart by content).")
      .def_property_readonly("word_index", [](const Tokenizer& t) { return ordered_dict(t.word_index_items()); })
      .def_property_readonly("index_word", [](const Tokenizer& t) { return ordered_dict(t.index_word()); })
      .def_property_readonly("word_counts", [](const Tokenizer& t) { return ordered_dict(t.word_counts()); })
      .def_property_readonly("word_docs", [](const Tokenizer& t) { return ordered_dict(t.word_docs()); })
      .def_property_readonly("document_count", &Tokenizer::document_count)
      .def_property_readonly("num_words", [](const Tokenizer& t) {
        const auto& n = t.config().num_words;
        return n && *n > 0 ? py::object(py::cast(*n)) : py::object(py::none());
      })
      .def_property_readonly("oov_token", [](const Tokenizer& t) { return t.config().oov_token; })
      .def_property_readonly("filters", [](const Tokenizer& t) { return t.config().filters; })
      .def_property_readonly("lower", [](const Tokenizer& t) { return t.config().lower; })
      .def_property_readonly("split", [](const Tokenizer& t) { return t.config().split; })
      .def_property_readonly("char_level", [](const Tokenizer& t) { return t.config().char_level; })
      .def("__repr__", [](const Tokenizer& t) {
        return "<quiver.Tokenizer " + std::to_string(t.word_index().size()) + " words, " +
               std::to_string(t.document_count()) + " documents>";
      });

  m.def("pad_sequences", &pad_sequences, py::arg("sequences"), py::arg("maxlen") = py::none(),
        py::arg("dtype") = "int32", py::arg("padding") = "pre", py::arg("truncating") = "pre",
        py::arg("value") = 0, R"doc(
Keras' pad_sequences: an int32 array [len(sequences), maxlen] (maxlen None: the longest).
truncating 'pre' keeps the last maxlen ids, 'post' the first; padding 'pre' fills on the left.)doc");

  py::class_<PySegmenter>(m, "Segmenter", R"doc(
A word segmenter in front of the Tokenizer: 'none', 'jieba', 'jieba-nohmm', 'jieba-search'
(identical to Python jieba 0.42.1's cut / cut(HMM=False) / cut_for_search) or 'cjk-chars'.
user_dict: a jieba user dictionary file. Thread-safe; the jieba dictionary loads once.)doc")
      .def(py::init([](const std::string& mode, std::optional<std::filesystem::path> user_dict,
                       std::optional<std::filesystem::path> jieba_dir) {
             return PySegmenter{make_segmenter(mode, user_dict, jieba_dir)};
           }),
           py::arg("mode") = "jieba", py::kw_only(), py::arg("user_dict") = py::none(),
           py::arg("jieba_dir") = py::none())
      .def("segment", [](const PySegmenter& s, const std::string& text) { return segment_text(*s.segmenter, text); },
           py::arg("text"), "The tokens of one text, in order.")
      .def("__call__", [](const PySegmenter& s, const std::string& text) { return segment_text(*s.segmenter, text); },
           py::arg("text"))
      .def_property_readonly("mode", [](const PySegmenter& s) {
        return std::string(segmenter_mode_name(s.segmenter->mode()));
      })
      .def("__repr__", [](const PySegmenter& s) {
        return "<quiver.Segmenter '" + std::string(segmenter_mode_name(s.segmenter->mode())) + "'>";
      });

  m.def(
      "segment",
      [](const std::string& text, const std::string& mode, std::optional<std::filesystem::path> user_dict) {
        return segment_text(*shared_segmenter(mode, user_dict, std::nullopt), text);
      },
      py::arg("text"), py::arg("mode") = "jieba", py::kw_only(), py::arg("user_dict") = py::none(),
      R"doc(
The tokens of `text` (as quiver.Segmenter(mode).segment(text)); the segmenter is made once
per mode and user dictionary and kept for the life of the process.)doc");
}

}  // namespace quiver::python
