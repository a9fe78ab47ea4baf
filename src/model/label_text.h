// Label values in the text forms Prometheus uses ({name="value"}): the value quoted, with \, " and newlines escaped.
// Shared by the metrics exposition and the pagers' group keys.
#pragma once

#include <string>
#include <string_view>

namespace incidentd {

// Appends "value" with its quotes, escaped as the Prometheus text format wants.
inline void AppendQuotedLabelValue(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace incidentd
