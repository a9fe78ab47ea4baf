// LoadRules: reads rule files (YAML) into an engine::RuleSet and the receivers' settings, checked whole.
//
// The files are read in the order given and merged: dedup labels are united, correlations, inhibit rules, policies,
// receivers and topology services are concatenated. Names of correlations, policies, receivers and services are
// unique across all files. The settings topology.label, topology.window, major, flapping and problems may each be set
// by one file only; a second one is an error "field: already set at file:line". Once every file is read, each
// reference (a correlation's or a major's policy, a policy's receivers, a service's depends_on) must name something
// defined in any of the files, so a rule in a.yaml may use a policy in b.yaml; then the services' dependencies must
// form no cycle (the first found, walking services in merged order and depends_on in listed order, is reported at the
// depends_on entry that closes it, e.g. "topology.services[0].depends_on[0]: dependency cycle a -> b -> a").
//
// Errors: the first one, in file order, comes back as "file:line:col: field: reason", e.g.
// "rules/a.yaml:7:9: correlations[2].match[0]: matcher 'job~x': expected one of =, !=, =~, !~ after the label name".
// Indexes in the field path count within the file. Reference and cycle errors come after every syntax and schema
// error and point at the referencing node. No message ever holds the value of a secret (routing_key, api_key,
// hmac_secret, a Slack url). docs/configuration.md ("Rule files") documents every key.
//
// Thread rule: a pure function of the files' contents; the results are plain values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/rules.h"
#include "incidentd/status.h"

namespace incidentd::config {

// A receiver's settings, interpreted later by the pagers. The loader checks the keys each type allows, that
// `x` and `x_file` are not both set, and that the type's required key is present; values are kept as written
// (a `_file` path is not resolved or opened here).
struct ReceiverConfig {
  std::string name;
  std::string type;                                           // pagerduty | opsgenie | webhook | slack
  std::vector<std::pair<std::string, std::string>> settings;  // the other keys, raw strings, in file order
  std::string origin;                                         // "file:line"
};

struct LoadedRules {
  engine::RuleSet rules;                  // every reference in it resolves; topology depends_on are indexes
  std::vector<ReceiverConfig> receivers;  // parallel to rules.receivers
};

// Loads and merges the files in order. An empty file (or one holding only comments) is valid and adds nothing.
// A file that cannot be read is an error "file: cannot read the file".
Result<LoadedRules> LoadRules(const std::vector<std::string>& paths);

}  // namespace incidentd::config
