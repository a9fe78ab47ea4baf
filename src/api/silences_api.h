// The Alertmanager v2 silence endpoints' JSON: `POST /api/v2/silences` bodies in, `GET /api/v2/silence/{id}` and
// `GET /api/v2/silences` answers out, as plain functions so they are tested without sockets. The server runs the
// Render functions on the engine's thread, which owns the Silences.
//
// Shapes (Alertmanager's openapi.yaml):
//   postableSilence: {id?, matchers: [{name, value, isRegex, isEqual?}], startsAt, endsAt, createdBy, comment}
//   gettableSilence: {id, status: {state}, updatedAt, comment, createdBy, endsAt,
//                     matchers: [{isEqual, isRegex, name, value}], startsAt}
// Times are printed in UTC with millisecond precision.
//
// Thread rule: the functions keep no state; NewSilenceId is safe for concurrent use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/matcher.h"
#include "engine/silences.h"
#include "incidentd/clock.h"
#include "incidentd/status.h"

namespace incidentd::api {

// Parses a postableSilence. Every field but `id` is required (null counts as missing); `isEqual` defaults to true;
// unknown fields are ignored. Errors are Invalid and name the field, with the index for matchers:
// "matchers[1].value: required", "startsAt: not an RFC 3339 time", "createdBy: required". The result's updated_at is
// unset; the rules on matchers and times (at least one matcher, endsAt after startsAt, ...) are Silences::Upsert's.
Result<engine::Silence> ParsePostableSilence(std::string_view body);

// One gettableSilence, its state taken at `now`.
std::string RenderSilence(const engine::Silence& s, Time now);

// Parses the query of `GET /api/v2/silences`: `filter` may repeat, each a matcher or a {…} list of them, as for
// `GET /api/v2/alerts`. Unknown parameters are ignored; a filter that does not parse is an Invalid naming "filter".
Result<std::vector<engine::Matcher>> ParseSilencesQuery(std::string_view query);

// Every silence held, as an array in Alertmanager's order: active ones by endsAt ascending, then pending ones by
// startsAt ascending, then expired ones by endsAt descending (ties by id). With a filter, a silence is listed only
// when, for every filter matcher, it has a matcher with the same name, type and value (Alertmanager's rule: filters
// select silences by how they were written, not by what they match).
std::string RenderSilences(const engine::Silences& silences, const std::vector<engine::Matcher>& filter, Time now);

// A random UUID v4 ("1b4e28ba-2fa1-41d2-883f-0016d3cca427") for a new silence. Each thread has its own generator,
// seeded from std::random_device.
std::string NewSilenceId();

}  // namespace incidentd::api
