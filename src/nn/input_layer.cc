// InputLayer: the model input (token ids). The builder feeds it the ids of the call.
#include "nn/identity_layer.h"

namespace quiver::nn {

// Reads batch_input_shape (Keras 2) / batch_shape (Keras 3; the reader mirrors it).
Result<Shape> input_layer_shape(const LayerContext& ctx) {
  const nlohmann::json& c = ctx.spec.config;
  const nlohmann::json* shape = nullptr;
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (c.is_object() && c.contains(key) && c[key].is_array()) {
      shape = &c[key];
      break;
    }
  }
  if (!shape || shape->empty()) return ctx.corrupt("has no batch_input_shape");
  Shape out;
  for (size_t i = 1; i < shape->size(); ++i) {
    const auto& d = (*shape)[i];
    if (d.is_null()) {
      out.push_back(-1);
    } else if (d.is_number_integer() && d.get<int64_t>() > 0) {
      out.push_back(d.get<int64_t>());
    } else {
      return ctx.corrupt("batch_input_shape " + json_text(*shape) + " is not valid");
    }
  }
  return out;
}

Result<std::unique_ptr<Layer>> make_input_layer(const LayerContext& ctx) {
  QUIVER_ASSIGN_OR_RETURN(Shape shape, input_layer_shape(ctx));
  if (shape.size() != 1) {
    return ctx.unimplemented("input shape " + shape_to_string(shape) +
                             " is not supported (a sequence of token ids [time] is)");
  }
  return make_layer<IdentityLayer>(ctx, std::vector<Shape>{std::move(shape)},
                                   std::vector<bool>{false});
}

}  // namespace quiver::nn
