#include "core/sorted_cursor.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gpusim {
namespace {

TEST(SortedCursor, FindsAscendingKeysLikeMapFind) {
  const std::map<std::string, int> m{{"a/1", 1}, {"a/3", 3}, {"b/2", 2}, {"c", 4}};
  SortedCursor cursor(m);
  // Keys absent from the map between, before and after the present ones.
  for (const std::string key : {"a/0", "a/1", "a/2", "a/3", "b/2", "b/3", "c", "d"}) {
    const int* found = cursor.find(key);
    const auto it = m.find(key);
    if (it == m.end()) {
      EXPECT_EQ(found, nullptr) << key;
    } else {
      ASSERT_NE(found, nullptr) << key;
      EXPECT_EQ(found, &it->second) << key;
    }
  }
}

TEST(SortedCursor, RepeatedKeyAndEmptyMap) {
  const std::map<std::string, int> m{{"x", 1}};
  SortedCursor cursor(m);
  EXPECT_NE(cursor.find("x"), nullptr);
  EXPECT_NE(cursor.find("x"), nullptr);  // the same key twice in a row
  const std::map<std::string, int> empty;
  SortedCursor none(empty);
  EXPECT_EQ(none.find("x"), nullptr);
}

}  // namespace
}  // namespace gpusim
