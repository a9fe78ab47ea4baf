// Where logs go: the journal only when JOURNAL_STREAM names this process's stderr (as systemd sets it).
#include "observability/logging.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace incidentd::observability {
namespace {

class JournalStreamTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("JOURNAL_STREAM"); }
};

TEST_F(JournalStreamTest, OnlyWhenItNamesStderr) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsTheJournal());
  struct stat st {};
  ASSERT_EQ(::fstat(2, &st), 0);
  const std::string dev = std::to_string(st.st_dev), ino = std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", (dev + ":" + ino).c_str(), 1);
  EXPECT_TRUE(StderrIsTheJournal());
  // Inherited by a child whose stderr was redirected elsewhere: not the journal.
  ::setenv("JOURNAL_STREAM", (dev + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(StderrIsTheJournal());
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsTheJournal());
}

}  // namespace
}  // namespace incidentd::observability
