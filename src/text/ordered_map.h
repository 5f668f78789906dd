// OrderedMap: a hash map that remembers insertion order, with Python dict semantics
// (assigning to an existing key keeps its position). Used for the Keras tokenizer's
// word_counts / word_docs / index_docs / word_index / index_word, whose JSON order must
// match Python's. Thread-compatible.
#ifndef QUIVER_TEXT_ORDERED_MAP_H_
#define QUIVER_TEXT_ORDERED_MAP_H_

#include <cstddef>
#include <unordered_map>
#include <utility>
#include <vector>

namespace quiver::text {

template <typename K, typename V>
class OrderedMap {
 public:
  using Item = std::pair<K, V>;

  // Python's d[key]: the existing value, or a value-initialised one appended at the end.
  V& operator[](const K& key) {
    auto [it, inserted] = pos_.try_emplace(key, items_.size());
    if (inserted) items_.emplace_back(key, V{});
    return items_[it->second].second;
  }
  // Python's d[key] = value.
  void assign(const K& key, V value) { (*this)[key] = std::move(value); }

  const V* find(const K& key) const {
    auto it = pos_.find(key);
    return it == pos_.end() ? nullptr : &items_[it->second].second;
  }
  bool contains(const K& key) const { return pos_.count(key) != 0; }

  const std::vector<Item>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() {
    items_.clear();
    pos_.clear();
  }
  void reserve(size_t n) {
    items_.reserve(n);
    pos_.reserve(n);
  }

 private:
  std::vector<Item> items_;
  std::unordered_map<K, size_t> pos_;
};

}  // namespace quiver::text

#endif  // QUIVER_TEXT_ORDERED_MAP_H_
