// Tensor: a dense row-major float32 array with a shape. A plain value type.
#ifndef QUIVER_TENSOR_H_
#define QUIVER_TENSOR_H_

#include <cstdint>
#include <vector>

namespace quiver {

struct Tensor {
  std::vector<int64_t> shape;  // e.g. {batch, units}; {batch, time, units} for sequences
  std::vector<float> data;     // row-major, size == product(shape)

  int64_t size() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

}  // namespace quiver

#endif  // QUIVER_TENSOR_H_
