#pragma once
// Lookups of ascending keys in an ordered map: one forward pass over the map for a whole sorted
// sequence of keys (the rows of a sample walk another map with the same keys in the same order)
// instead of a tree descent, and its string compares, per key.

namespace gpusim {

template <typename Map>
class SortedCursor {
 public:
  explicit SortedCursor(const Map& map) : it_(map.begin()), end_(map.end()) {}

  // The value under `key`, or nullptr. Keys passed must not decrease from call to call.
  const typename Map::mapped_type* find(const typename Map::key_type& key) {
    for (; it_ != end_; ++it_) {
      const int c = it_->first.compare(key);
      if (c == 0) return &it_->second;
      if (c > 0) return nullptr;
    }
    return nullptr;
  }

 private:
  typename Map::const_iterator it_;
  typename Map::const_iterator end_;
};

}  // namespace gpusim
