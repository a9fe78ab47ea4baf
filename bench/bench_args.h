// The command-line shape the benchmark programs share: "--name value" or "--name=value", and --help.
#pragma once

#include <string>

namespace incidentd::bench {

// Reads the option at argv[*i] into *name and *value, moving *i past a separate value. False with *error set when
// the value is missing. "--help"/"-h" comes back as name "--help" with an empty value.
inline bool NextArg(int argc, char** argv, int* i, std::string* name, std::string* value, std::string* error) {
  *name = argv[*i];
  value->clear();
  if (*name == "--help" || *name == "-h") {
    *name = "--help";
    return true;
  }
  if (size_t eq = name->find('='); eq != std::string::npos) {
    *value = name->substr(eq + 1);
    name->resize(eq);
  } else if (*i + 1 < argc) {
    *value = argv[++*i];
  } else {
    *error = "missing value for " + *name;
    return false;
  }
  return true;
}

}  // namespace incidentd::bench
