#include "serve/signatures.h"

#include <cmath>

#include "serve/json_codec.h"

namespace quiver::serve {
namespace {

// RFC 4648 base64 (standard alphabet, '=' padding required to a multiple of 4, as
// TensorFlow Serving's {"b64": ...} values are written by base64.b64encode).
Result<std::string> decode_base64(const std::string& in, const std::string& where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return invalid_argument(where + ": b64: length is not a multiple of 4");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && last && k >= 2 && (k == 3 || in[i + 3] == '=')) {
        v[k] = 0;
        ++pad;
        continue;
      }
      v[k] = value(c);
      if (v[k] < 0 || pad > 0) return invalid_argument(where + ": b64: not base64");
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// A (nested) list of numbers -> its values row-major and its shape; false if ragged or
// not numbers. A bare number is a scalar (shape []).
bool flatten_numbers(const nlohmann::json& j, std::vector<double>& values,
                     std::vector<int64_t>& shape, size_t depth = 0) {
  if (j.is_number()) {
    if (depth != shape.size()) return false;
    values.push_back(j.get<double>());
    return true;
  }
  if (!j.is_array() || j.empty() || depth > 8) return false;
  if (depth == shape.size()) {
    shape.push_back(static_cast<int64_t>(j.size()));
  } else if (shape[depth] != static_cast<int64_t>(j.size())) {
    return false;
  }
  for (const auto& e : j) {
    if (!flatten_numbers(e, values, shape, depth + 1)) return false;
  }
  return true;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// One row of a several-input model's input: numbers of its dims (-1: any size).
Status read_model_input_row(const InputSpec& spec, const nlohmann::json& v,
                            const std::string& where, InputValues& out) {
  std::vector<double> values;
  std::vector<int64_t> shape;
  bool fits = flatten_numbers(v, values, shape) && shape.size() == spec.dims.size();
  for (size_t d = 0; fits && d < shape.size(); ++d) {
    fits = spec.dims[d] < 0 || shape[d] == spec.dims[d];
  }
  if (!fits) {
    return invalid_argument(where + ": input '" + spec.name + "' is " + spec.tf_dtype() + " of " +
                            dims_text(spec.dims) + " per row: expected a (nested) list of " +
                            "numbers of that shape, got " +
                            v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                .substr(0, 80));
  }
  return add_model_input_row(spec, std::move(values), std::move(shape), where, out);
}

// A several-input signature's values as one tensor per input, [rows, dims...].
Result<std::vector<Tensor>> model_input_tensors(const Signature& sig, NamedInputs& inputs,
                                                const std::string& what) {
  std::vector<Tensor> out;
  for (const InputSpec& spec : sig.inputs) {
    InputValues& v = inputs[spec.name];
    Tensor t;
    if (spec.kind == InputKind::kText) {  // a string tensor: the model's TextVectorization reads it
      t.shape = {static_cast<int64_t>(v.texts.size())};
      t.strings = std::move(v.texts);
      out.push_back(std::move(t));
      continue;
    }
    t.shape = {static_cast<int64_t>(v.shapes.size())};
    for (size_t r = 0; r < v.shapes.size(); ++r) {
      if (v.shapes[r] != v.shapes[0]) {
        return invalid_argument(what + ": input '" + spec.name + "': rows 0 and " +
                                std::to_string(r) + " have shapes " + dims_text(v.shapes[0]) +
                                " and " + dims_text(v.shapes[r]) + " (one tensor: one shape)");
      }
      if (spec.kind == InputKind::kIds) {
        t.data.insert(t.data.end(), v.rows[r].begin(), v.rows[r].end());
      } else {
        t.data.insert(t.data.end(), v.values[r].begin(), v.values[r].end());
      }
    }
    if (!v.shapes.empty()) t.shape.insert(t.shape.end(), v.shapes[0].begin(), v.shapes[0].end());
    out.push_back(std::move(t));
  }
  return out;
}

std::string signature_names(const Servable& s) {
  std::string out;
  for (const Signature& sig : signatures_of(s)) out += (out.empty() ? "'" : ", '") + sig.name + "'";
  return out;
}

}  // namespace

const char* InputSpec::tf_dtype() const {
  return kind == InputKind::kText ? "DT_STRING" : kind == InputKind::kIds ? "DT_INT32" : "DT_FLOAT";
}

const char* InputSpec::v2_datatype() const {
  return kind == InputKind::kText ? "BYTES" : kind == InputKind::kIds ? "INT32" : "FP32";
}

std::vector<int64_t> InputSpec::shape() const {
  if (kind == InputKind::kText) return {-1};
  if (model_input) {
    std::vector<int64_t> out = {-1};
    out.insert(out.end(), dims.begin(), dims.end());
    return out;
  }
  return {-1, length};
}

const InputSpec* Signature::find(const std::string& input) const {
  for (const InputSpec& in : inputs) {
    if (in.name == input) return &in;
  }
  return nullptr;
}

std::string Signature::input_names() const {
  std::string out;
  for (const InputSpec& in : inputs) out += (out.empty() ? "" : ", ") + in.name;
  return out;
}

std::vector<Signature> signatures_of(const Servable& s) {
  // A model with several inputs: one signature, each input under its Keras name.
  if (s.predictor && s.predictor->info().inputs.size() > 1) {
    Signature sig{kDefaultSignature, {}};
    for (const InputInfo& in : s.predictor->info().inputs) {
      InputSpec spec;
      spec.name = in.name;
      spec.kind = in.text ? InputKind::kText : in.token_ids ? InputKind::kIds : InputKind::kFloat;
      spec.model_input = true;
      spec.dims = in.shape;
      spec.vocab_size = in.vocab_size;
      sig.inputs.push_back(std::move(spec));
    }
    return {sig};
  }
  InputSpec ids;
  ids.name = "input_ids";
  ids.length = s.input_length;
  InputSpec text;
  text.name = "text";
  text.kind = InputKind::kText;
  // A model whose first layer is a TextVectorization takes raw texts itself: one signature.
  if (s.classifier && s.classifier->takes_raw_text()) {
    return {Signature{kDefaultSignature, {text}}};
  }
  if (!s.tokenizer) return {Signature{kDefaultSignature, {ids}}};
  return {Signature{kDefaultSignature, {text}}, Signature{kIdsSignature, {ids}}};
}

Result<Signature> find_signature(const Servable& s, const std::string& name) {
  const std::string wanted = name.empty() ? kDefaultSignature : name;
  for (Signature& sig : signatures_of(s)) {
    if (sig.name == wanted) return std::move(sig);
  }
  return invalid_argument("signature_name: model '" + s.name + "' has no signature '" + wanted +
                          "' (its signatures: " + signature_names(s) + ")");
}

std::vector<std::string> output_names(const Servable& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.predictor->info().output_shapes.size(); ++i) {
    out.push_back("output_" + std::to_string(i));
  }
  return out;
}

std::string platform_of(const Servable& s) {
  return s.predictor->info().format == "keras-zip" ? "keras_keras" : "keras_h5";
}

Status read_row_value(const InputSpec& spec, const nlohmann::json& v, const std::string& where,
                      InputValues& out) {
  if (spec.kind == InputKind::kText) {
    // Keras' Input(shape=(1,), dtype="string"): a row may be a list of one string.
    if (spec.model_input && v.is_array() && v.size() == 1 && !v[0].is_array()) {
      return read_row_value(spec, v[0], where, out);
    }
    if (v.is_string()) {
      out.texts.push_back(v.get<std::string>());
      return Status();
    }
    if (v.is_object() && v.size() == 1 && v.contains("b64") && v["b64"].is_string()) {
      QUIVER_ASSIGN_OR_RETURN(std::string text, decode_base64(v["b64"].get<std::string>(), where));
      out.texts.push_back(std::move(text));
      return Status();
    }
    std::string hint;
    if (v.is_array()) hint = " (send id rows as input 'input_ids' of signature 'ids')";
    return invalid_argument(where + ": input '" + spec.name + "' is " + spec.tf_dtype() +
                            ": expected a string, got " + v.type_name() + hint);
  }
  if (spec.model_input) return read_model_input_row(spec, v, where, out);
  std::vector<int64_t> row;
  if (!v.is_array()) {
    return invalid_argument(where + ": input '" + spec.name + "' is " + spec.tf_dtype() +
                            ": expected a list of integer ids, got " + v.type_name());
  }
  QUIVER_RETURN_IF_ERROR(read_int_array(v, where, true, row));
  out.rows.push_back(std::move(row));
  return Status();
}

Status add_model_input_row(const InputSpec& spec, std::vector<double> values,
                           std::vector<int64_t> shape, const std::string& where,
                           InputValues& out) {
  for (int64_t d : shape) {
    if (d < 1) return invalid_argument(where + ": input '" + spec.name + "': an empty dimension");
  }
  if (spec.kind == InputKind::kIds) {
    std::vector<int64_t> row;
    for (double x : values) {
      if (x != std::floor(x) || x < 0 || (spec.vocab_size > 0 && x >= spec.vocab_size) || x > 2e9) {
        return invalid_argument(where + ": input '" + spec.name + "': " + std::to_string(x) +
                                " is not a token id in [0, " + std::to_string(spec.vocab_size) +
                                ")");
      }
      row.push_back(static_cast<int64_t>(x));
    }
    out.rows.push_back(std::move(row));
  } else {
    out.values.emplace_back(values.begin(), values.end());
  }
  out.shapes.push_back(std::move(shape));
  return Status();
}

Status unknown_input(const Signature& sig, const std::string& name, const std::string& what) {
  return invalid_argument(what + ": unknown input '" + name + "' (signature '" + sig.name +
                          "' has: " + sig.input_names() + ")");
}

Result<ModelInputs> bind_inputs(const Signature& sig, NamedInputs inputs, const std::string& what) {
  for (const auto& [name, values] : inputs) {
    if (sig.find(name) == nullptr) return unknown_input(sig, name, what);
  }
  for (const InputSpec& spec : sig.inputs) {
    if (!inputs.count(spec.name)) {
      return invalid_argument(what + ": missing input '" + spec.name + "' (signature '" + sig.name +
                              "' has: " + sig.input_names() + ")");
    }
  }
  const std::string& first = sig.inputs.front().name;
  for (const InputSpec& spec : sig.inputs) {
    if (inputs[spec.name].count() != inputs[first].count()) {
      return invalid_argument(what + ": inputs '" + first + "' and '" + spec.name + "' have " +
                              std::to_string(inputs[first].count()) + " and " +
                              std::to_string(inputs[spec.name].count()) + " rows");
    }
  }
  ModelInputs out;
  if (sig.inputs.front().model_input) {
    QUIVER_ASSIGN_OR_RETURN(out.tensors, model_input_tensors(sig, inputs, what));
    if (out.tensors.front().shape[0] == 0) return invalid_argument(what + ": no instances given");
    return out;
  }
  // One model input: its texts or its id rows.
  InputValues& only = inputs[first];
  out.texts = std::move(only.texts);
  out.rows = std::move(only.rows);
  if (out.texts.empty() && out.rows.empty()) return invalid_argument(what + ": no instances given");
  return out;
}

}  // namespace quiver::serve
