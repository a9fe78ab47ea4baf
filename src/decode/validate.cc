#include "decode/validate.h"

namespace incidentd::decode {
namespace {

bool Cont(unsigned char c) { return (c & 0xc0) == 0x80; }

// Length of the valid UTF-8 sequence at data[i], or 0 if the bytes there do not start one.
size_t SequenceLength(const unsigned char* p, size_t left) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return left >= 2 && Cont(p[1]) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !Cont(p[1]) || !Cont(p[2])) return 0;
    if (c == 0xe0 && p[1] < 0xa0) return 0;  // overlong
    if (c == 0xed && p[1] > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !Cont(p[1]) || !Cont(p[2]) || !Cont(p[3])) return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;  // overlong
    if (c == 0xf4 && p[1] > 0x8f) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

size_t ReplaceInvalidUtf8(char* data, size_t size) {
  auto* p = reinterpret_cast<unsigned char*>(data);
  size_t first = std::string::npos;
  for (size_t i = 0; i < size;) {
    size_t n = SequenceLength(p + i, size - i);
    if (n == 0) {
      // Only the lead byte is replaced here; continuation bytes that followed it fail on their own next round.
      if (first == std::string::npos) first = i;
      p[i] = static_cast<unsigned char>(kBadByteMark);
      n = 1;
    }
    i += n;
  }
  return first;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += !Cont(c);
  return n;
}

std::string_view TruncateUtf8Chars(std::string_view s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!Cont(static_cast<unsigned char>(s[i])) && chars++ == max_chars) return s.substr(0, i);
  }
  return s;
}

std::string_view TruncateUtf8Bytes(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && Cont(static_cast<unsigned char>(s[end]))) --end;
  return s.substr(0, end);
}

std::string ForDisplay(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string_view cut = TruncateUtf8Bytes(s, kMax);
  std::string out;
  out.reserve(cut.size() + 3);
  for (char c : cut) {
    if (c == kBadByteMark) {
      out.append("\xef\xbf\xbd");
    } else {
      out.push_back(c);
    }
  }
  if (cut.size() < s.size()) out.append("\xe2\x80\xa6");
  return out;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

}  // namespace incidentd::decode
