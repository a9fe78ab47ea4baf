#include "sources/kafka/offset_tracker.h"

#include <gtest/gtest.h>

namespace incidentd::kafka {
namespace {

TEST(OffsetTrackerTest, CommitsThePrefixFinishedInOrder) {
  OffsetTracker t;
  EXPECT_EQ(t.commit(), -1);
  for (int64_t o : {10, 11, 13, 14}) t.Take(o);  // 12 was compacted away
  EXPECT_EQ(t.in_flight(), 4u);
  // 13 finishes first (a poison message goes on at once): nothing before it is done, so nothing moves.
  EXPECT_FALSE(t.Finish(13));
  EXPECT_EQ(t.commit(), -1);
  EXPECT_TRUE(t.Finish(10));
  EXPECT_EQ(t.commit(), 11);
  // 11 done: the run reaches 13, which was done already.
  EXPECT_TRUE(t.Finish(11));
  EXPECT_EQ(t.commit(), 14);
  EXPECT_EQ(t.in_flight(), 1u);
  EXPECT_FALSE(t.Finish(99));  // never taken
  EXPECT_FALSE(t.Finish(11));  // already finished
  EXPECT_TRUE(t.Finish(14));
  EXPECT_EQ(t.commit(), 15);
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(OffsetTrackerTest, ForgetAndResetDropWhatWasNeverHandedOn) {
  OffsetTracker t;
  for (int64_t o = 0; o < 6; ++o) t.Take(o);
  t.ForgetFrom(3);  // 3..5 were held back, then revoked
  EXPECT_EQ(t.in_flight(), 3u);
  EXPECT_FALSE(t.Finish(4));
  for (int64_t o = 0; o < 3; ++o) t.Finish(o);
  EXPECT_EQ(t.commit(), 3);
  t.Take(3);
  t.Reset();  // a seek back: what was taken is read again
  EXPECT_EQ(t.in_flight(), 0u);
  EXPECT_EQ(t.commit(), 3);  // what was finished stays committable
  t.Take(3);
  EXPECT_TRUE(t.Finish(3));
  EXPECT_EQ(t.commit(), 4);
}

}  // namespace
}  // namespace incidentd::kafka
