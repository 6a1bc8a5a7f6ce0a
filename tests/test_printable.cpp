// printable(): names and text read from files reach the terminal only as visible escapes.
#include <doctest/doctest.h>

#include <string>

#include "engine/printable.h"

using ulr::printable;

TEST_CASE("printable keeps plain text and valid UTF-8") {
  CHECK(printable("g.stem.weight") == "g.stem.weight");
  CHECK(printable("") == "");
  CHECK(printable("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  CHECK(printable("a\\b") == "a\\b");  // a backslash is kept
}

TEST_CASE("printable escapes control characters, C1, bidi controls and invalid UTF-8") {
  CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
  CHECK(printable("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(printable(std::string("nul\0end", 7)) == "nul\\x00end");
  CHECK(printable("\x7f") == "\\x7f");
  CHECK(printable("\xc2\x9b" "2J") == "\\u009b2J");            // C1 CSI, UTF-8 encoded
  CHECK(printable("\xe2\x80\xae" "gnp.exe") == "\\u202egnp.exe");  // right-to-left override
  CHECK(printable("\x9b") == "\\x9b");                          // a lone continuation byte
  CHECK(printable("\xc3") == "\\xc3");                          // a sequence cut short
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                 // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");        // a UTF-16 surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");
}

TEST_CASE("printable output is printable: applying it twice changes nothing") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += char(c);
  all += "\xc2\x85\xe2\x81\xa6\xc3\xa9";
  const std::string once = printable(all);
  CHECK(printable(once) == once);
  for (unsigned char c : once) CHECK((c >= 0x20 && c != 0x7f));
}
