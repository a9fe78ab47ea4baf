#include "sources/http/http_types.h"

#include "model/json_writer.h"

namespace incidentd::http {

Response ErrorResponse(unsigned status, std::string_view message) {
  Response r;
  r.status = status;
  JsonWriter w(r.body);
  w.BeginObject().Field("error", message).EndObject();
  return r;
}

}  // namespace incidentd::http
