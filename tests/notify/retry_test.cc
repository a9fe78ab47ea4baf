// The retry decision: which outcomes are retried, how long the waits are, and when a notification gives up.
#include "notify/retry.h"

#include <gtest/gtest.h>

namespace incidentd::notify {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Time kT0 = FromUnixNanos(1'780'000'000'000'000'000LL);

TEST(RetryTest, DeliveredIsDoneAndPermanentIsADeadLetterAtOnce) {
  std::mt19937_64 rng(1);
  RetryPolicy p;
  EXPECT_EQ(DecideRetry(p, AttemptResult::kDelivered, 1, kT0, kT0, {}, rng).step, NextStep::kDone);
  RetryDecision d = DecideRetry(p, AttemptResult::kPermanent, 1, kT0, kT0, {}, rng);
  EXPECT_EQ(d.step, NextStep::kDeadLetter);
  EXPECT_EQ(d.reason, "not retryable");
}

TEST(RetryTest, FullJitterStaysUnderADoublingCeilingCappedAtMaxBackoff) {
  std::mt19937_64 rng(7);
  RetryPolicy p;
  p.initial_backoff = seconds(1);
  p.max_backoff = seconds(30);
  p.max_attempts = 100;
  p.max_age = hours(100);
  for (uint32_t attempt = 1; attempt <= 40; ++attempt) {
    const Duration ceiling =
        std::min<Duration>(seconds(30), seconds(1) * (attempt < 20 ? (1LL << (attempt - 1)) : 1 << 20));
    Duration lo = Duration::max(), hi = Duration::zero();
    for (int i = 0; i < 200; ++i) {
      RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, attempt, kT0, kT0, {}, rng);
      ASSERT_EQ(d.step, NextStep::kRetry);
      ASSERT_GE(d.delay, Duration::zero());
      ASSERT_LE(d.delay, ceiling) << "attempt " << attempt;
      lo = std::min(lo, d.delay);
      hi = std::max(hi, d.delay);
    }
    // Full jitter spreads the waits over the whole range, not just near the ceiling.
    EXPECT_LT(lo, ceiling / 4) << "attempt " << attempt;
    EXPECT_GT(hi, ceiling * 3 / 4) << "attempt " << attempt;
  }
}

TEST(RetryTest, RetryAfterIsAFloor) {
  std::mt19937_64 rng(3);
  RetryPolicy p;
  p.initial_backoff = milliseconds(10);
  for (int i = 0; i < 100; ++i) {
    RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, 1, kT0, kT0, seconds(42), rng);
    ASSERT_EQ(d.step, NextStep::kRetry);
    EXPECT_EQ(d.delay, seconds(42));
  }
}

TEST(RetryTest, GivesUpAfterMaxAttempts) {
  std::mt19937_64 rng(5);
  RetryPolicy p;
  p.max_attempts = 3;
  EXPECT_EQ(DecideRetry(p, AttemptResult::kRetryable, 2, kT0, kT0, {}, rng).step, NextStep::kRetry);
  RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, 3, kT0, kT0, {}, rng);
  EXPECT_EQ(d.step, NextStep::kDeadLetter);
  EXPECT_EQ(d.reason, "3 attempts");
}

TEST(RetryTest, GivesUpWhenTheNextAttemptWouldBePastMaxAge) {
  std::mt19937_64 rng(9);
  RetryPolicy p;
  p.max_age = minutes(10);
  EXPECT_EQ(DecideRetry(p, AttemptResult::kRetryable, 5, kT0, kT0 + minutes(5), {}, rng).step, NextStep::kRetry);
  RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, 5, kT0, kT0 + minutes(10), {}, rng);
  EXPECT_EQ(d.step, NextStep::kDeadLetter);
  EXPECT_EQ(d.reason, "retried for 10m");
  // A Retry-After beyond the age limit gives up now rather than wait past it.
  d = DecideRetry(p, AttemptResult::kRetryable, 1, kT0, kT0, minutes(11), rng);
  EXPECT_EQ(d.step, NextStep::kDeadLetter);
}

TEST(RetryTest, LongBackoffsDoNotOverflow) {
  std::mt19937_64 rng(13);
  RetryPolicy p;
  p.initial_backoff = minutes(1);
  p.max_backoff = minutes(1);
  p.max_attempts = 1000;
  p.max_age = hours(1000);
  for (uint32_t attempt = 1; attempt < 70; ++attempt) {
    RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, attempt, kT0, kT0, {}, rng);
    ASSERT_EQ(d.step, NextStep::kRetry) << attempt;
    ASSERT_GE(d.delay, Duration::zero()) << attempt;
    ASSERT_LE(d.delay, minutes(1)) << attempt;
  }
}

TEST(RetryTest, HugeAttemptCountsDoNotOverflow) {
  std::mt19937_64 rng(11);
  RetryPolicy p;
  p.max_attempts = UINT32_MAX;
  p.max_age = hours(1000000);
  RetryDecision d = DecideRetry(p, AttemptResult::kRetryable, 4000000000u, kT0, kT0, {}, rng);
  ASSERT_EQ(d.step, NextStep::kRetry);
  EXPECT_LE(d.delay, p.max_backoff);
}

}  // namespace
}  // namespace incidentd::notify
