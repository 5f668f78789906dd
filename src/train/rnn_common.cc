// RecurrentLayer: the parts LSTM and GRU training share (see layers.h).
#include "train/layers.h"
#include "train/rnn_common.h"

namespace quiver::train {

template <typename T>
std::unique_ptr<LayerCache> RecurrentLayer<T>::new_cache() const {
  return std::make_unique<RnnCache<T>>();
}

template <typename T>
void RecurrentLayer<T>::out_shape(int, int, int* steps, int* dim) const {
  *steps = 1;
  *dim = o_.units;
}

template class RecurrentLayer<float>;
template class RecurrentLayer<double>;

}  // namespace quiver::train
