// Tensor: a dense row-major float32 array with a shape, or (for a model's raw-text input)
// a string tensor: one string per row, shape {batch}, `data` empty. A plain value type.
#ifndef QUIVER_TENSOR_H_
#define QUIVER_TENSOR_H_

#include <cstdint>
#include <string>
#include <vector>

namespace quiver {

struct Tensor {
  std::vector<int64_t> shape;  // e.g. {batch, units}; {batch, time, units} for sequences
  std::vector<float> data;     // row-major, size == product(shape)
  // A string tensor (TF's DT_STRING; an input a TextVectorization takes): the texts,
  // size == shape[0] == batch, and `data` is empty. Empty for a float tensor.
  std::vector<std::string> strings;

  int64_t size() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

}  // namespace quiver

#endif  // QUIVER_TENSOR_H_
