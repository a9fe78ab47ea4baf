// Receiver secrets: `<key>_file` settings read from their files and `${NAME}` expanded from the environment, so that
// routing keys, API keys, HMAC secrets and webhook URLs need not be written into rule files.
//
// LoadConfig calls ResolveReceiverSecrets for every receiver, so `incidentd check-config` reports a missing file or
// variable. No error ever shows a setting's value or a file's content; they name the receiver, the key, the file and
// the variable.
//
// Thread rule: reads the environment and the file system; call it from one thread while nothing changes the
// environment (setenv is not thread-safe).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/rule_loader.h"
#include "incidentd/status.h"

namespace incidentd::config {

// Rewrites rc.settings in place, keeping their order:
// - In every value as written, `${NAME}` is replaced by the environment variable NAME (letters, digits, '_'; not
//   starting with a digit) and `$$` by `$`; any other `$` stays as it is. An unset variable is an error.
// - Then each `<key>_file` setting becomes `<key>`, holding the file's content with surrounding whitespace (a
//   trailing newline) removed; the content is taken literally, with no `${}` expansion. A relative path is taken from
//   base_dir, or, when base_dir is empty, from the directory of the rule file named in rc.origin ("file:line").
// Errors, the first one found: "<origin>: receivers <name>: <key>: <reason>", e.g.
//   "rules/a.yaml:12: receivers pd: routing_key_file: cannot read /etc/incidentd/pd: No such file or directory"
//   "rules/a.yaml:12: receivers pd: routing_key: environment variable PD_KEY is not set"
// On error rc may be partly rewritten.
Status ResolveReceiverSecrets(ReceiverConfig& rc, const std::string& base_dir);

// The same rules for any list of settings (the Kafka client's properties): relative files are taken from base_dir,
// and errors read "<where>: <key>: <reason>".
Status ResolveSecrets(std::vector<std::pair<std::string, std::string>>& settings, const std::string& base_dir,
                      const std::string& where);

}  // namespace incidentd::config
