#include "core/chunked_text.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>
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

std::filesystem::path scratch_dir(const char* name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (std::string(name) + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::remove_all(dir);
  return dir;
}

int count_entries(const std::filesystem::path& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
    ++n;
  return n;
}

TEST(ChunkedTextTest, StreamedTextIsWrittenWholeAndAppearsOnlyOnCommit) {
  const std::filesystem::path out = scratch_dir("gpusim-streamed-");
  StagedDirectory dir(out);
  TextSpool spool;
  ChunkedText text;
  // Some records before streaming starts (a recorder's first sample) and many after.
  std::string expected = fill(text, 3'000);
  text.stream_to(spool, dir, "events.jsonl");
  expected += fill(text, 60'000);
  ASSERT_GT(expected.size(), 3 * ChunkedText::kChunkBytes);
  // Full chunks were handed over: the text keeps only the chunk being filled.
  EXPECT_EQ(text.parts().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("events.jsonl")));
  text.write(dir, "events.jsonl");
  // Compared as booleans: a failing EXPECT_EQ would diff megabytes.
  const std::string written = read_file(dir.file("events.jsonl"));
  EXPECT_EQ(written.size(), expected.size());
  EXPECT_TRUE(written == expected);
  // The file and the output marker: no temporary left beside them.
  EXPECT_EQ(count_entries(dir.staging_path()), 2);
  EXPECT_TRUE(std::filesystem::exists(dir.file(kOutputMarkerFile)));
  dir.commit();
  EXPECT_TRUE(read_file(out / "events.jsonl") == expected);
  std::filesystem::remove_all(out);
}

TEST(ChunkedTextTest, StreamedTextOfADirectoryNeverCommittedLeavesNothing) {
  const std::filesystem::path out = scratch_dir("gpusim-abandoned-");
  std::filesystem::path staging;
  {
    StagedDirectory dir(out);
    staging = dir.staging_path();
    TextSpool spool;
    ChunkedText text;
    text.stream_to(spool, dir, "hpa.csv");
    fill(text, 30'000);
    // The run fails here: neither write() nor commit() is reached.
  }
  EXPECT_FALSE(std::filesystem::exists(staging));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ChunkedTextTest, WritingTheStreamedTextUnderAnotherNameIsAnError) {
  const std::filesystem::path out = scratch_dir("gpusim-misnamed-");
  StagedDirectory dir(out);
  TextSpool spool;
  ChunkedText text;
  text.stream_to(spool, dir, "a.csv");
  fill(text, 100);
  EXPECT_THROW(text.write(dir, "b.csv"), std::logic_error);
  EXPECT_THROW(text.stream_to(spool, dir, "a.csv"), std::logic_error);
}

TEST(TextSpoolTest, AFailedWriteIsReportedByCommitWithThePathAndLeavesNoFile) {
  const std::filesystem::path out = scratch_dir("gpusim-failed-");
  std::filesystem::create_directories(out);
  // A file size limit makes the writer's write() fail (EFBIG) as a full disk would.
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = ChunkedText::kChunkBytes;
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string error;
  {
    TextSpool spool;
    const TextSpool::FileId f = spool.open(out / "big.csv");
    spool.append(f, std::string(2 * ChunkedText::kChunkBytes, 'x'));
    try {
      spool.commit(f);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error.find("big.csv"), std::string::npos) << "commit() reported: " << error;
  EXPECT_EQ(count_entries(out), 0);
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace gpusim
