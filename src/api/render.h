// Small JSON pieces the API's renderings share.
#pragma once

#include "incidentd/label_set.h"
#include "model/json_writer.h"

namespace incidentd::api {

// {"name": "value", ...} in the set's (name) order.
inline void WriteLabels(JsonWriter& w, const LabelSet& set) {
  w.BeginObject();
  for (const InternedLabel& l : set.labels()) w.Field(l.name.view(), l.value.view());
  w.EndObject();
}

}  // namespace incidentd::api
