// The command line: `incidentd [--config FILE] [--log-level LEVEL]`, `incidentd check-config --config FILE`,
// `incidentd --version`, `incidentd --help`. Run returns the process exit code.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace incidentd::server {

inline constexpr const char* kDefaultConfigPath = "/etc/incidentd/incidentd.yaml";

// The text `incidentd --help` prints.
std::string HelpText();

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace incidentd::server
