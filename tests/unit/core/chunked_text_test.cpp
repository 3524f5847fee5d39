#include "core/chunked_text.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/atomic_file.hpp"

namespace gpusim {
namespace {

// Records of varied length, enough to span several chunks.
std::string fill(ChunkedText& text, int records) {
  std::string expected;
  for (int i = 0; i < records; ++i) {
    const std::string record =
        std::to_string(i) + "," + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n";
    text.record().append(record);
    expected += record;
  }
  return expected;
}

TEST(ChunkedTextTest, PartsHoldTheRecordsInOrderAndNoChunkOutgrowsItsReservation) {
  ChunkedText text;
  const std::string expected = fill(text, 40'000);
  ASSERT_GT(text.parts().size(), 1u);
  std::string joined;
  for (const std::string& part : text.parts()) {
    EXPECT_LE(part.size(), ChunkedText::kChunkBytes);
    joined += part;
  }
  EXPECT_EQ(joined, expected);
}

TEST(ChunkedTextTest, WriteFileAtomicWritesThePartsOneAfterAnotherAndLeavesNoTempFile) {
  ChunkedText text;
  const std::string expected = fill(text, 40'000);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("gpusim-chunked-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::remove_all(dir);
  write_file_atomic(dir / "out.csv", text.parts());
  EXPECT_EQ(read_file(dir / "out.csv"), expected);
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
    ++files;
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpusim
