// quiver.Model: Model::load, info, predict (NumPy in and out), predict_inputs, predict_texts.
#include <memory>
#include <string>
#include <utility>

#include "bindings.h"
#include "convert.h"
#include "errors.h"
#include "quiver/model.h"
#include "quiver/segmenter.h"
#include "quiver/tokenizer.h"

namespace quiver::python {
namespace {

py::list shapes(const std::vector<std::vector<int64_t>>& v) {
  py::list out;
  for (const auto& s : v) out.append(py::tuple(py::cast(s)));
  return out;
}

py::dict info_dict(const ModelInfo& i) {
  py::dict d;
  d["path"] = i.path;
  d["format"] = i.format;
  d["keras_version"] = i.keras_version;
  d["backend"] = i.backend;
  d["input_length"] = i.input_length < 0 ? py::object(py::none()) : py::cast(i.input_length);
  d["vocab_size"] = i.vocab_size;
  d["text_input"] = i.text_input;
  d["text_vocab_size"] = i.text_vocab_size;
  py::list inputs;
  for (const auto& in : i.inputs) {
    py::dict e;
    e["name"] = in.name;
    e["shape"] = py::tuple(py::cast(in.shape));
    e["token_ids"] = in.token_ids;
    e["vocab_size"] = in.vocab_size;
    e["text"] = in.text;
    inputs.append(e);
  }
  d["inputs"] = inputs;
  py::list layers;
  for (const auto& l : i.layers) {
    py::dict e;
    e["name"] = l.name;
    e["class_name"] = l.class_name;
    e["output_shapes"] = shapes(l.output_shapes);
    e["params"] = l.params;
    layers.append(e);
  }
  d["layers"] = layers;
  d["output_shapes"] = shapes(i.output_shapes);
  d["total_params"] = i.total_params;
  d["memory_bytes"] = i.memory_bytes;
  d["memory_policy"] = memory_policy_name(i.memory_policy);
  py::dict memory;
  memory["weights"] = i.memory.weights;
  memory["tables"] = i.memory.tables;
  memory["trajectories"] = i.memory.trajectories;
  memory["tokenizer"] = i.memory.tokenizer;
  memory["other"] = i.memory.other;
  d["memory"] = memory;
  return d;
}

PredictOptions predict_options(int threads) {
  if (threads < 1) raise_invalid("threads: expected an integer >= 1, got " + std::to_string(threads));
  PredictOptions o;
  o.threads = threads;
  return o;
}

py::list predict(const PyModel& self, const py::handle& ids, int threads) {
  const PredictOptions options = predict_options(threads);
  IdRows rows = id_rows(ids, "ids");
  Result<std::vector<Tensor>> out = internal_error("not run");
  {
    py::gil_scoped_release release;
    out = self.model->predict(std::span<const int32_t>(rows.data, rows.rows * rows.cols),
                              rows.rows, rows.cols, options);
  }
  return tensors_to_list(unwrap(std::move(out)));
}

// One float32 Tensor per model input, from a list (in info()["inputs"] order) or a dict by
// input name.
std::vector<Tensor> input_tensors(const ModelInfo& info, const py::handle& inputs) {
  py::module_ np = py::module_::import("numpy");
  std::vector<py::object> arrays;
  if (py::isinstance<py::dict>(inputs)) {
    py::dict d = py::reinterpret_borrow<py::dict>(inputs);
    for (const auto& in : info.inputs) {
      if (!d.contains(in.name)) raise_invalid("inputs: missing input '" + in.name + "'");
      arrays.push_back(d[py::str(in.name)]);
    }
    if (d.size() != info.inputs.size()) {
      for (const auto& kv : d) {
        const std::string name = py::str(kv.first);
        bool known = false;
        for (const auto& in : info.inputs) known = known || in.name == name;
        if (!known) raise_invalid("inputs: the model has no input '" + name + "'");
      }
    }
  } else {
    for (const py::handle& a : inputs) arrays.push_back(py::reinterpret_borrow<py::object>(a));
  }
  std::vector<Tensor> tensors;
  for (size_t k = 0; k < arrays.size(); ++k) {
    py::object& obj = arrays[k];
    if (k < info.inputs.size() && info.inputs[k].text) {  // a string tensor: a list of texts
      Tensor t;
      const std::string what = "inputs['" + info.inputs[k].name + "']";
      t.strings = text_list(obj, what.c_str());
      t.shape = {static_cast<int64_t>(t.strings.size())};
      tensors.push_back(std::move(t));
      continue;
    }
    py::array a;
    try {
      a = np.attr("ascontiguousarray")(obj, py::arg("dtype") = np.attr("float32"));
    } catch (py::error_already_set& e) {
      raise_invalid(std::string("inputs: not a numeric array: ") + e.what());
    }
    Tensor t;
    for (py::ssize_t i = 0; i < a.ndim(); ++i) t.shape.push_back(a.shape(i));
    const float* p = static_cast<const float*>(a.data());
    t.data.assign(p, p + a.size());
    tensors.push_back(std::move(t));
  }
  return tensors;
}

py::list predict_inputs(const PyModel& self, const py::handle& inputs, int threads) {
  const PredictOptions options = predict_options(threads);
  std::vector<Tensor> tensors = input_tensors(self.model->info(), inputs);
  Result<std::vector<Tensor>> out = internal_error("not run");
  {
    py::gil_scoped_release release;
    out = self.model->predict_inputs(tensors, options);
  }
  return tensors_to_list(unwrap(std::move(out)));
}

// Texts -> padded id rows with public primitives only: segment_for_tokenizer, the
// Tokenizer's texts_to_sequences and pad_sequence (Keras' pipeline, step by step).
py::list predict_texts(const PyModel& self, const py::handle& texts_arg, const py::object& tokenizer,
                       std::optional<int64_t> maxlen, const std::string& padding,
                       const std::string& truncating, const py::object& segmenter, int threads) {
  const PredictOptions options = predict_options(threads);
  std::vector<std::string> texts = text_list(texts_arg, "texts");
  const ModelInfo& info = self.model->info();
  Result<std::vector<Tensor>> out = internal_error("not run");
  if (tokenizer.is_none()) {
    if (!info.text_input) {
      raise_invalid("tokenizer: this model takes token ids (it has no TextVectorization layer); "
                    "give tokenizer=quiver.Tokenizer.load(...)");
    }
    py::gil_scoped_release release;
    out = self.model->predict_texts(texts, options);
  } else {
    if (!py::isinstance<Tokenizer>(tokenizer)) raise_invalid("tokenizer: expected a quiver.Tokenizer");
    const Tokenizer& tok = tokenizer.cast<const Tokenizer&>();
    const PadMode pad = pad_mode(padding, "padding"), trunc = pad_mode(truncating, "truncating");
    int64_t len = maxlen.value_or(info.input_length);
    if (len <= 0) {
      raise_invalid("maxlen: the model accepts sequences of any length; give maxlen=");
    }
    std::shared_ptr<const Segmenter> seg = segmenter_arg(segmenter, std::nullopt);
    std::vector<int32_t> ids;
    ids.reserve(texts.size() * len);
    {
      py::gil_scoped_release release;
      for (const auto& text : texts) {
        std::string input = text;
        if (seg) {
          Result<std::string> s = segment_for_tokenizer(*seg, text, tok.config().split);
          if (!s.ok()) {
            out = s.status();
            break;
          }
          input = std::move(s).value();
        }
        std::vector<int32_t> row = pad_sequence(tok.text_to_sequence(input), len, pad, trunc);
        ids.insert(ids.end(), row.begin(), row.end());
      }
      if (ids.size() == texts.size() * len) {
        out = self.model->predict(ids, static_cast<int64_t>(texts.size()), len, options);
      }
    }
  }
  return tensors_to_list(unwrap(std::move(out)));
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<PyModel>(m, "Model", R"doc(
A Keras text classifier loaded from its .h5 / .keras file, immutable after load.

Any number of threads may call predict() on any models at the same time (the GIL is
released while quiver runs); a row's outputs are bit-identical whatever batch it is in and
whatever else runs. Load with Model.load(path).)doc")
      .def_static(
          "load",
          [](const std::filesystem::path& path, std::optional<std::filesystem::path> architecture,
             const std::string& weights, const std::string& hard_sigmoid,
             const std::string& memory_policy, double memory_budget_mb) {
            LoadOptions o;
            if (architecture) o.architecture_path = path_string(*architecture);
            o.weights = unwrap(parse_weight_mode(weights));
            o.memory_policy = unwrap(parse_memory_policy(memory_policy));
            o.memory_budget_bytes = memory_budget_bytes(memory_budget_mb);
            if (hard_sigmoid == "keras2") {
              o.hard_sigmoid = HardSigmoidMode::kKeras2;
            } else if (hard_sigmoid == "keras3") {
              o.hard_sigmoid = HardSigmoidMode::kKeras3;
            } else if (hard_sigmoid != "auto") {
              raise_invalid("hard_sigmoid: expected 'auto', 'keras2' or 'keras3', got '" +
                            hard_sigmoid + "'");
            }
            const std::string p = path_string(path);
            Result<std::shared_ptr<const Model>> r = internal_error("not run");
            {
              py::gil_scoped_release release;
              r = Model::load(p, o);
            }
            return PyModel{unwrap(std::move(r))};
          },
          py::arg("path"), py::arg("architecture") = py::none(), py::arg("weights") = "fp32",
          py::arg("hard_sigmoid") = "auto", py::arg("memory_policy") = "auto",
          py::arg("memory_budget_mb") = 0.0, R"doc(
Loads a Keras model file (.h5 or .keras; the format is read from the bytes).

architecture: the model.to_json() / to_yaml() file of a weights-only .h5.
weights: 'fp32' (exact), 'bf16' or 'int8' storage of the recurrent kernels.
hard_sigmoid: 'auto' (from the file's Keras version), 'keras2' or 'keras3'.
memory_policy: what the recurrent layers precompute: 'auto' (fp32 tables, or the fastest
  that fits memory_budget_mb), 'fp32', 'bf16' (rounded tables: outputs change slightly),
  'lazy' (table rows on first use), 'none' (least memory, slowest).
memory_budget_mb: this model's memory budget in MiB for 'auto' / 'lazy' (0: none).
Raises NotFoundError, CorruptModelError, UnsupportedError, InvalidArgumentError.)doc")
      .def_property_readonly(
          "info", [](const PyModel& self) { return info_dict(self.model->info()); },
          "dict: path, format, keras_version, input_length (None: any), vocab_size, inputs, "
          "layers, output_shapes, total_params, memory_bytes, memory_policy, memory (bytes by "
          "part: weights, tables, trajectories, tokenizer, other), ...")
      .def_property_readonly(
          "memory_in_use",
          [](const PyModel& self) { return self.model->memory_in_use().total(); },
          "int: the bytes held now (a 'lazy' model's tables grow with the tokens it has seen)")
      .def("predict", &predict, py::arg("ids"), py::kw_only(), py::arg("threads") = 1, R"doc(
Runs the model on padded token-id rows.

ids: a 2-D integer array [batch, seq_len]. A C-contiguous int32 NumPy array is read in place
(no copy); other integer arrays and nested lists are copied after a range check; floats and
other dtypes raise InvalidArgumentError. Returns a list with one float32 array per model
output, each [batch, ...]. threads: threads this call may use (results do not depend on it).)doc")
      .def("predict_inputs", &predict_inputs, py::arg("inputs"), py::kw_only(),
           py::arg("threads") = 1, R"doc(
Runs a model with one or several inputs: a list of arrays in info['inputs'] order, or a dict
by input name; each [batch, ...] with that input's shape. Returns one float32 array per output.)doc")
      .def("predict_texts", &predict_texts, py::arg("texts"), py::kw_only(),
           py::arg("tokenizer") = py::none(), py::arg("maxlen") = py::none(),
           py::arg("padding") = "pre", py::arg("truncating") = "pre",
           py::arg("segmenter") = py::none(), py::arg("threads") = 1, R"doc(
Runs the model on texts. With a tokenizer: each text is segmented (segmenter: None, a mode
name or a quiver.Segmenter), turned into ids by the tokenizer and padded / truncated to
maxlen (default: the model's fixed input length) as Keras' pad_sequences does. Without one,
the model must start with a TextVectorization layer, which turns each text into its input.
Returns one float32 array per model output, one row per text.)doc")
      .def("__repr__", [](const PyModel& self) {
        const ModelInfo& i = self.model->info();
        return "<quiver.Model '" + i.path + "' " + i.format + ", " +
               std::to_string(i.layers.size()) + " layers>";
      });
}

}  // namespace quiver::python
