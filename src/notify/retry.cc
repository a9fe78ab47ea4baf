#include "notify/retry.h"

#include <algorithm>

namespace incidentd::notify {
namespace {

std::string Describe(Duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace

RetryDecision DecideRetry(const RetryPolicy& policy, AttemptResult result, uint32_t attempts, Time first_attempt_at,
                          Time now, Duration retry_after, std::mt19937_64& rng) {
  RetryDecision d;
  if (result == AttemptResult::kDelivered) return d;
  d.step = NextStep::kDeadLetter;
  if (result == AttemptResult::kPermanent) {
    d.reason = "not retryable";
    return d;
  }
  if (attempts >= policy.max_attempts) {
    d.reason = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    return d;
  }
  // The ceiling doubles per attempt until max_backoff; the shift is tested before it is made, so it never overflows.
  Duration ceiling = policy.max_backoff;
  const uint32_t shift = attempts - 1;
  if (shift < 62 && policy.initial_backoff.count() <= (policy.max_backoff.count() >> shift)) {
    ceiling = Duration(policy.initial_backoff.count() << shift);
  }
  std::uniform_int_distribution<int64_t> draw(0, ceiling.count());
  Duration delay = std::max(Duration(draw(rng)), retry_after);
  if (now + delay - first_attempt_at > policy.max_age) {
    d.reason = "retried for " + Describe(policy.max_age);
    return d;
  }
  d.step = NextStep::kRetry;
  d.delay = delay;
  return d;
}

}  // namespace incidentd::notify
