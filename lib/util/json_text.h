// Writing JSON text by hand where building a document would cost more than it
// gives: result lines, metadata keys, error bodies.
//
// append_json_string() appends `text` as a quoted JSON string, escaping quotes,
// backslashes and control characters; other bytes (UTF-8 included) pass
// through unchanged. Pure function: thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace vs {

void append_json_string(std::string_view text, std::string& out);

}  // namespace vs
