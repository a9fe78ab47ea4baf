#include "incidentd/http_message.h"

#include <strings.h>

namespace incidentd {

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  }
  return {};
}

}  // namespace incidentd
