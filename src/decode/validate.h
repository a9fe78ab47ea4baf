// Validation helpers shared by the decoders: label names, UTF-8, and text for error messages.
//
// Label and annotation names follow Prometheus: ^[a-zA-Z_][a-zA-Z0-9_]*$, checked with a 256-entry table. UTF-8 of a
// whole body is validated by simdjson; the functions here serve the error path (find and mark the bad bytes) and
// PagerDuty's character-counted limits.
//
// Thread rule: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace incidentd::decode {

// Byte that marks an invalid UTF-8 byte in a sanitized copy of a body (see ReplaceInvalidUtf8).
inline constexpr char kBadByteMark = 0x7f;

// True for [a-zA-Z0-9_].
inline constexpr std::array<bool, 256> kNameChar = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['_'] = true;
  return t;
}();

// ^[a-zA-Z_][a-zA-Z0-9_]*$
inline bool IsValidName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (unsigned char c : s) {
    if (!kNameChar[c]) return false;
  }
  return true;
}

// An RFC 6901 JSON pointer: empty, or '/'-separated tokens where '~' appears only as "~0" or "~1".
inline bool IsValidJsonPointer(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != '/') return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}

inline bool ContainsBadByteMark(std::string_view s) { return s.find(kBadByteMark) != std::string_view::npos; }

// Overwrites every byte of every invalid UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points past
// U+10FFFF) with kBadByteMark. The JSON structure is unchanged: only bytes >= 0x80 are replaced, and 0x7F is a valid
// unescaped character inside a JSON string. Returns the offset of the first invalid byte, or npos if all is valid.
size_t ReplaceInvalidUtf8(char* data, size_t size);

// Number of code points in valid UTF-8 text.
size_t Utf8Length(std::string_view s);
// The longest prefix of valid UTF-8 text with at most max_chars code points.
std::string_view TruncateUtf8Chars(std::string_view s, size_t max_chars);
// The longest prefix of valid UTF-8 text with at most max_bytes bytes that ends on a code point boundary.
std::string_view TruncateUtf8Bytes(std::string_view s, size_t max_bytes);

// Text from the input quoted in an error message: cut to about 64 bytes (with "…"), marks shown as U+FFFD.
std::string ForDisplay(std::string_view s);

// True when s is empty or only whitespace (PagerDuty's "blank").
bool IsBlank(std::string_view s);

}  // namespace incidentd::decode
