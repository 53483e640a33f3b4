// Bearer tokens for vs-serve's --token-file: reading the secret and checking
// an Authorization header against it.
//
// The token comes from a file, never a flag (a flag shows in `ps` and shell
// history). The check takes the same time wherever the header first differs
// from the token, so timing 401s reveals nothing of it. Pure functions,
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace vs::net {

// The file's contents minus one trailing newline ("\n" or "\r\n"). IoError
// naming the file when unreadable; Usage when the token is empty or holds
// whitespace or control characters (it could never match a header).
Expected<std::string> read_token_file(const std::string& path);

// Compares in time that depends on the lengths only, not the contents.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when `authorization` is "Bearer <token>" (scheme case-insensitive, RFC 7235).
bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace vs::net
