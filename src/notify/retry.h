// Retry: what to do after one delivery attempt — a pure decision, kept apart from the sending.
//
// Only network errors, 429 and 5xx are retried (the pager judges answers, the HTTP client marks network errors as
// kUnavailable). The wait is exponential backoff with full jitter (a uniform draw in [0, min(max, initial * 2^n)]),
// never shorter than the receiver's Retry-After. A notification gives up — becomes a dead letter — after
// max_attempts attempts or once its first attempt is max_age old, whichever comes first.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "incidentd/clock.h"

namespace incidentd::notify {

struct RetryPolicy {
  Duration initial_backoff = std::chrono::seconds(1);  // Default: 1s. REQUIRES: > 0
  Duration max_backoff = std::chrono::minutes(1);      // Default: 1m. REQUIRES: >= initial_backoff
  uint32_t max_attempts = 50;                          // Default: 50. REQUIRES: >= 1
  Duration max_age = std::chrono::hours(1);            // Default: 1h: a ten-minute pager outage is ridden out
};

// One attempt's outcome, as the outbox saw it.
enum class AttemptResult : uint8_t {
  kDelivered,  // 2xx
  kRetryable,  // network error, 429, 5xx
  kPermanent,  // any other answer, or a request that cannot be sent
};

enum class NextStep : uint8_t {
  kDone,        // delivered
  kRetry,       // wait `delay`, then try again
  kDeadLetter,  // give up: `reason` says why
};

struct RetryDecision {
  NextStep step = NextStep::kDone;
  Duration delay{0};
  std::string reason;  // for kDeadLetter: "not retryable", "50 attempts", "retried for 1h"
};

// attempts: made so far, this one included. first_attempt_at: when the first was made. retry_after: the receiver's
// Retry-After (0 if none).
RetryDecision DecideRetry(const RetryPolicy& policy, AttemptResult result, uint32_t attempts, Time first_attempt_at,
                          Time now, Duration retry_after, std::mt19937_64& rng);

}  // namespace incidentd::notify
