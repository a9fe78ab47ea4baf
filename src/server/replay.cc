#include "server/replay.h"

#include <simdjson.h>

#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/incidents_api.h"
#include "decode/factory.h"
#include "engine/engine.h"
#include "model/json_writer.h"
#include "model/rfc3339.h"

namespace incidentd::server {
namespace {

struct Record {
  Time at;
  const decode::Decoder* decoder;
  simdjson::padded_string body;
};

class Replayer {
 public:
  Replayer(const config::Config& config, std::ostream& out)
      : config_(config), out_(out), engine_(Options(config), config.rules) {
    std::vector<std::string> names = {"prometheus", "alertmanager-webhook", "pagerduty"};
    for (const decode::GenericMapping& m : config.generic_webhooks) names.push_back("generic:" + m.name);
    for (const std::string& name : names) {
      decoders_[name] = decode::MakeNamedDecoder(name, config.limits, config.generic_webhooks);
    }
  }

  static engine::EngineOptions Options(const config::Config& c) {
    engine::EngineOptions eo;
    eo.alerts.resolve_timeout = c.resolve_timeout;
    eo.alerts.resolved_retention = c.engine.resolved_retention;
    return eo;
  }

  // Parses one line into a record; errors name the field.
  Result<Record> Parse(std::string_view line) {
    simdjson::padded_string padded(line);
    simdjson::dom::element doc;
    if (auto err = parser_.parse(padded).get(doc)) {
      return Status::Invalid(std::string("malformed JSON: ") + simdjson::error_message(err));
    }
    if (!doc.is_object()) return Status::Invalid("a record must be a JSON object");
    std::string_view at_text, format;
    if (doc["at"].get_string().get(at_text)) return Status::Invalid("at: required, an RFC 3339 time");
    std::optional<Time> at = ParseRfc3339(at_text);
    if (!at) return Status::Invalid("at: not an RFC 3339 time");
    if (doc["format"].get_string().get(format)) return Status::Invalid("format: required");
    auto d = decoders_.find(std::string(format));
    if (d == decoders_.end()) {
      return Status::Invalid("format: '" + std::string(format) +
                             "' is not prometheus, alertmanager-webhook, pagerduty or generic:NAME of the config");
    }
    simdjson::dom::element body;
    if (doc["body"].get(body)) return Status::Invalid("body: required");
    return Record{*at, d->second.get(), simdjson::padded_string(simdjson::to_string(body))};
  }

  void Tick(Time now) {
    engine_.Advance(now);
    Emit();
  }

  // Fires every timer due before `t` (or at it, when inclusive) at its own time, as the daemon's ticks do.
  void RunTimers(Time t, bool inclusive) {
    engine_.AdvanceBefore(t);
    if (inclusive && engine_.NextDeadline() == t) engine_.Advance(t);
    Emit();
  }

  // False when the body does not decode: reported, and nothing applied (the daemon answers 400).
  bool Apply(const Record& r, std::ostream& err, const std::string& file, int line) {
    decode::DecodeOutcome o = r.decoder->Decode(simdjson::padded_string_view(r.body));
    if (!o.ok()) {
      err << file << ":" << line << ": body: " << o.Summary() << " (skipped)\n";
      return false;
    }
    engine_.Apply(o.batch, r.at);
    return true;
  }

  void Emit() {
    for (const Notification& n : engine_.TakeNotifications()) {
      std::string s;
      JsonWriter w(s);
      w.BeginObject().Field("type", "notification");
      w.Key("at").TimeMillis(n.at);
      w.Field("receiver", n.receiver).Field("incident", n.incident_id).Field("event", NotifyEventName(n.event));
      w.Key("inform").Bool(n.inform);
      w.Key("seq").Uint(n.seq);
      w.Key("step").Uint(n.step);
      w.Field("priority", engine::PriorityName(n.priority)).Field("title", n.title);
      w.EndObject();
      out_ << s << '\n';
    }
  }

  void PrintIncidents() {
    std::vector<const Incident*> list;
    engine_.incidents().ForEach([&](const Incident& i) { list.push_back(&i); });
    std::sort(list.begin(), list.end(), [](const Incident* a, const Incident* b) { return a->id < b->id; });
    for (const Incident* i : list) {
      std::string json = api::RenderIncident(engine_, *i);
      out_ << R"({"type":"incident",)" << std::string_view(json).substr(1) << '\n';
    }
  }

  Duration LongestGroupWait() const {
    Duration d{};
    for (const engine::CorrelationRule& r : config_.rules.correlations) d = std::max(d, r.group_wait);
    return d;
  }

 private:
  const config::Config& config_;
  std::ostream& out_;
  engine::Engine engine_;
  simdjson::dom::parser parser_;
  std::unordered_map<std::string, std::unique_ptr<decode::Decoder>> decoders_;
};

}  // namespace

int RunReplay(const config::Config& config, const ReplayOptions& options, std::istream& in, std::ostream& out,
              std::ostream& err) {
  Replayer replayer(config, out);
  std::string line;
  int n = 0;
  std::optional<Time> tick;  // the time of the records applied but not yet advanced
  size_t skipped = 0, applied = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<Record> r = replayer.Parse(line);
    if (!r.ok()) {
      err << options.input_path << ":" << n << ": " << r.status().message() << " (skipped)\n";
      ++skipped;
      continue;
    }
    if (tick && r->at < *tick) {
      err << options.input_path << ":" << n << ": at: goes back in time (records must be in time order)\n";
      return 1;
    }
    if (tick && r->at > *tick) {
      replayer.Tick(*tick);
      tick.reset();
    }
    if (!tick) {
      replayer.RunTimers(r->at, false);
      tick = r->at;
    }
    if (replayer.Apply(*r, err, options.input_path, n)) {
      ++applied;
    } else {
      ++skipped;
    }
  }
  if (in.bad()) {
    err << options.input_path << ": read error\n";
    return 1;
  }
  std::optional<Time> until = options.until;
  if (tick) {
    replayer.Tick(*tick);
    if (!until) until = *tick + replayer.LongestGroupWait();
  }
  if (until) replayer.RunTimers(*until, true);
  replayer.PrintIncidents();
  if (skipped > 0) err << "replay: " << applied << " records applied, " << skipped << " skipped\n";
  return 0;
}

}  // namespace incidentd::server
