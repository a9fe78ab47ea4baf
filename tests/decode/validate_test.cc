#include "decode/validate.h"

#include <gtest/gtest.h>

#include <string>

namespace incidentd::decode {
namespace {

std::string Marked(std::string s) {
  ReplaceInvalidUtf8(s.data(), s.size());
  return s;
}

TEST(ValidateTest, Names) {
  EXPECT_TRUE(IsValidName("alertname"));
  EXPECT_TRUE(IsValidName("_x9"));
  EXPECT_TRUE(IsValidName("A"));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName("9lives"));
  EXPECT_FALSE(IsValidName("foo-bar"));
  EXPECT_FALSE(IsValidName("foo.bar"));
  EXPECT_FALSE(IsValidName("caf\xc3\xa9"));
}

TEST(ValidateTest, ValidUtf8IsUntouched) {
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7e\xef\xbf\xbf\xf4\x8f\xbf\xbf";
  std::string copy = text;
  EXPECT_EQ(ReplaceInvalidUtf8(copy.data(), copy.size()), std::string::npos);
  EXPECT_EQ(copy, text);
}

TEST(ValidateTest, InvalidSequencesAreMarkedByteForByte) {
  EXPECT_EQ(Marked("a\xff"
                   "b"),
            "a\x7f"
            "b");
  EXPECT_EQ(Marked("\xc0\xaf"), "\x7f\x7f");                  // overlong '/'
  EXPECT_EQ(Marked("\xe0\x80\xaf"), "\x7f\x7f\x7f");          // overlong, 3 bytes
  EXPECT_EQ(Marked("\xed\xa0\x80"), "\x7f\x7f\x7f");          // surrogate U+D800
  EXPECT_EQ(Marked("\xf4\x90\x80\x80"), "\x7f\x7f\x7f\x7f");  // past U+10FFFF
  EXPECT_EQ(Marked("\xe2\x82"
                   "A"),
            "\x7f\x7f"
            "A");                             // cut short
  EXPECT_EQ(Marked("\x80\x80"), "\x7f\x7f");  // stray continuations
  EXPECT_EQ(Marked("ok\xc3"), "ok\x7f");      // cut at the end
  std::string s = "abc\xfe";
  EXPECT_EQ(ReplaceInvalidUtf8(s.data(), s.size()), 3u);
}

TEST(ValidateTest, Truncation) {
  EXPECT_EQ(Utf8Length("a\xc3\xa9\xe2\x82\xac"), 3u);
  EXPECT_EQ(TruncateUtf8Chars("a\xc3\xa9\xe2\x82\xac", 2), "a\xc3\xa9");
  EXPECT_EQ(TruncateUtf8Chars("abc", 5), "abc");
  EXPECT_EQ(TruncateUtf8Chars("abc", 0), "");
  EXPECT_EQ(TruncateUtf8Bytes("a\xe2\x82\xac", 3), "a");
  EXPECT_EQ(TruncateUtf8Bytes("a\xe2\x82\xac", 4), "a\xe2\x82\xac");
  EXPECT_EQ(TruncateUtf8Bytes("abc", 2), "ab");
}

TEST(ValidateTest, Blank) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n"));
  EXPECT_FALSE(IsBlank(" x "));
}

TEST(ValidateTest, ForDisplay) {
  EXPECT_EQ(ForDisplay("ab\x7f"), "ab\xef\xbf\xbd");
  EXPECT_EQ(ForDisplay(std::string(100, 'x')), std::string(64, 'x') + "\xe2\x80\xa6");
}

}  // namespace
}  // namespace incidentd::decode
