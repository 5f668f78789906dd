// Signatures: the named inputs a request may send to a model, shared by the TensorFlow
// Serving and the KServe v2 routes, so both APIs accept exactly what their metadata lists.
//
// A signature is a set of named inputs that together feed the model; a request names one
// signature (TF Serving `signature_name`, KServe parameter `signature_name`; default
// `serving_default`) and must send every input of it and nothing else. A text model (one
// with a tokenizer) has two signatures, because its two forms cannot be sent together:
//   serving_default  {text: DT_STRING / BYTES, shape [-1]}       sentences, tokenized here
//   ids              {input_ids: DT_INT32 / INT32, shape [-1, T]} padded id rows
// A model without a tokenizer has one: serving_default {input_ids}. A model with several
// inputs (a Keras Functional model) has one: serving_default with each model input under
// its Keras name (`quiver inspect` lists them): token ids DT_INT32 / INT32 [-1, T], float
// features DT_FLOAT / FP32 [-1, dims...], raw text that a TextVectorization takes
// DT_STRING / BYTES [-1] (a string tensor, Tensor::strings). (TF Serving's row
// format: "each item is expected to be an object containing input name/tensor value pair,
// one for each named input" — every input of a signature is required, so the two forms
// cannot be one signature with optional inputs.)
//
// Requests are parsed into NamedInputs (one InputValues per input name), then bound to
// the signature: unknown or missing names and unequal batch sizes are InvalidArgument.
//
// Thread-safety: stateless functions over immutable Servables.
#ifndef QUIVER_SERVE_SIGNATURES_H_
#define QUIVER_SERVE_SIGNATURES_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quiver/status.h"
#include "serve/servable.h"
#include "serve/service.h"

namespace quiver::serve {

inline constexpr const char* kDefaultSignature = "serving_default";
inline constexpr const char* kIdsSignature = "ids";

enum class InputKind { kText, kIds, kFloat };

struct InputSpec {
  std::string name;
  InputKind kind = InputKind::kIds;
  int64_t length = -1;  // ids per row (kIds); -1: any length (all rows equal)
  // An input of a several-input model: true, with its dims without the batch dimension
  // (ModelInfo::inputs; -1: any size, the same for every row) and, for ids, the valid range.
  bool model_input = false;
  std::vector<int64_t> dims;
  int64_t vocab_size = 0;  // kIds of a model input: ids 0..vocab_size-1 (0: unchecked)

  const char* tf_dtype() const;     // DT_STRING, DT_INT32, DT_FLOAT
  const char* v2_datatype() const;  // BYTES, INT32, FP32
  // The tensor shape with the batch dimension (-1): text [-1], ids [-1, length], a model
  // input [-1, dims...].
  std::vector<int64_t> shape() const;
};

struct Signature {
  std::string name;
  std::vector<InputSpec> inputs;
  const InputSpec* find(const std::string& input) const;
  std::string input_names() const;  // "text, input_ids"
};

// The signatures `s` accepts, serving_default first.
std::vector<Signature> signatures_of(const Servable& s);
// The signature `name` ("" = serving_default). InvalidArgument naming the known ones.
Result<Signature> find_signature(const Servable& s, const std::string& name);
// The model's outputs: output_0, output_1, ...
std::vector<std::string> output_names(const Servable& s);
// KServe's platform string ("<project>_<format>"): keras_h5 or keras_keras.
std::string platform_of(const Servable& s);

// The values of one named input for a batch, as parsed from a request.
struct InputValues {
  std::vector<std::string> texts;               // kText
  std::vector<std::vector<int64_t>> rows;       // kIds (flattened per row)
  std::vector<std::vector<float>> values;       // kFloat (flattened per row)
  std::vector<std::vector<int64_t>> shapes;     // model inputs: each row's shape
  size_t count() const { return texts.size() + rows.size() + values.size(); }
};
using NamedInputs = std::map<std::string, InputValues>;

// Reads one row of input `spec` from a JSON value: a string or {"b64": "..."} for text;
// a list of integers (nested lists flattened) for ids; for a model input a (nested) list
// of numbers of its dims. `where` prefixes messages.
Status read_row_value(const InputSpec& spec, const nlohmann::json& v, const std::string& where,
                      InputValues& out);
// Adds one row of a several-input model's input (`values` row-major, of `shape`, already
// checked against spec.dims): token ids must be integers in [0, vocab_size).
Status add_model_input_row(const InputSpec& spec, std::vector<double> values,
                           std::vector<int64_t> shape, const std::string& where,
                           InputValues& out);
// Checks `inputs` against `sig`: every input named, nothing else, one batch size. A
// several-input signature becomes ModelInputs::tensors (one [rows, dims...] tensor per
// model input, in the model's order; ids in range, every row of an input one shape).
// InvalidArgument "<what>: unknown input 'x' (signature 'serving_default' has: text)",
// "<what>: missing input 'text' ...", "<what>: inputs 'a' and 'b' have 2 and 3 rows".
Result<ModelInputs> bind_inputs(const Signature& sig, NamedInputs inputs, const std::string& what);
// "unknown input 'x' of signature 'serving_default' (its inputs: text)" for name checks
// that happen before values are read.
Status unknown_input(const Signature& sig, const std::string& name, const std::string& what);

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_SIGNATURES_H_
