// JSON: round trips, number and string forms, and the error messages a user sees.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "engine/error.h"
#include "engine/json.h"

using namespace ulr;

namespace {

// The message of the Error that parsing `text` throws ("" when it parses).
std::string parse_error(const std::string& text) {
  try {
    Json::parse(text, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("json parses values and keeps member order") {
  Json j = Json::parse(R"( {"b": 1, "a": [true, false, null, -2.5e3, "x"], "c": {}} )");
  REQUIRE(j.is_object());
  REQUIRE(j.size() == 3);
  CHECK(j.members()[0].first == "b");
  CHECK(j.members()[1].first == "a");
  CHECK(j.at("b").as_int() == 1);
  const Json& a = j.at("a");
  REQUIRE(a.size() == 5);
  CHECK(a.items()[0].as_bool() == true);
  CHECK(a.items()[1].as_bool() == false);
  CHECK(a.items()[2].is_null());
  CHECK(a.items()[3].as_number() == -2500.0);
  CHECK(a.items()[4].as_string() == "x");
  CHECK(j.at("c").is_object());
  CHECK(j.get("missing").is_null());
  CHECK_FALSE(j.has("missing"));
  CHECK(j.dump() == R"({"b":1,"a":[true,false,null,-2500,"x"],"c":{}})");
}

TEST_CASE("json round trips through dump and parse") {
  const char* docs[] = {
      R"({"name":"g.stem.weight","shape":[32,3,3,3],"lr":0.001,"nested":{"k":[[],{}]}})",
      R"([0,-1,1.5,1e+300,-1.0000000000000002,0.1,9007199254740991,"\u0001\"\\\/"])",
      R"("caf\u00e9 \ud83d\ude00 tab\t newline\n")",
  };
  for (const char* doc : docs) {
    Json a = Json::parse(doc);
    Json b = Json::parse(a.dump());
    CHECK(a.dump() == b.dump());
    Json c = Json::parse(a.dump(2));
    CHECK(c.dump() == a.dump());
  }
  // Surrogate pairs decode to one code point (U+1F600, 4 bytes of UTF-8).
  Json s = Json::parse(R"("\ud83d\ude00")");
  CHECK(s.as_string() == "\xF0\x9F\x98\x80");
  CHECK(Json::parse(R"("\u00e9")").as_string() == "\xC3\xA9");
  // Raw UTF-8 is passed through unchanged.
  CHECK(Json::parse("\"\xC3\xA9\"").dump() == "\"\xC3\xA9\"");
}

TEST_CASE("json numbers print as integers or shortest round-trip form") {
  CHECK(Json(3.0).dump() == "3");
  CHECK(Json(-42).dump() == "-42");
  CHECK(Json(int64_t(9007199254740991)).dump() == "9007199254740991");
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(1.0 / 3.0).dump() == "0.3333333333333333");
  CHECK(Json(1e300).dump() == "1e+300");
  CHECK(Json(9007199254740992.0).dump() == "9007199254740992");  // 2^53: %.17g form, exact
  CHECK(Json(std::nan("")).dump() == "null");
  for (double x : {0.1, 1.0 / 3.0, 2.5e-310, 123456.789, -1e-7, 6.02214076e23}) {
    CHECK(Json::parse(Json(x).dump()).as_number() == x);
  }
  CHECK(Json(0.001f).dump() == "0.0010000000474974513");  // a float is widened exactly
}

TEST_CASE("json strings escape control characters") {
  std::string s = "a\"b\\c\n\t\x01\x1f";
  CHECK(Json(s).dump() == R"("a\"b\\c\n\t\u0001\u001f")");
  CHECK(Json::parse(Json(s).dump()).as_string() == s);
}

TEST_CASE("json pretty-prints with indentation") {
  Json j = Json::object();
  j.set("a", Json(1)).set("b", Json::array().push(Json(2)).push(Json("x")));
  j.set("a", Json(5));  // replaces, keeps position
  CHECK(j.dump(2) == "{\n  \"a\": 5,\n  \"b\": [\n    2,\n    \"x\"\n  ]\n}");
}

TEST_CASE("json accessors check types and integers") {
  Json j = Json::parse(R"({"x": 1.5, "n": 7, "big": 1e30, "s": "t"})");
  CHECK(j.at("n").as_int() == 7);
  CHECK_THROWS_WITH_AS(j.at("x").as_int(), "json: expected an integer, got 1.5", Error);
  CHECK_THROWS_AS(j.at("big").as_int(), Error);
  CHECK_THROWS_WITH_AS(j.at("s").as_number(), "json: expected number, got string", Error);
  CHECK_THROWS_WITH_AS(j.at("nope"), "json: missing key \"nope\"", Error);
  CHECK_THROWS_AS(j.items(), Error);
}

TEST_CASE("json errors name the line, column and problem") {
  CHECK(parse_error("{\"a\": 1,\n \"a\": 2}") == "cfg.json: line 2 col 2: duplicate key \"a\"");
  CHECK(parse_error("{\"a\": 1,}") == "cfg.json: line 1 col 9: expected a string key, got '}'");
  CHECK(parse_error("[1, 2") == "cfg.json: line 1 col 6: expected ',' or ']' in an array, got end of input");
  CHECK(parse_error("") == "cfg.json: line 1 col 1: unexpected end of input");
  CHECK(parse_error("{} x") == "cfg.json: line 1 col 4: unexpected content after the value");
  CHECK(parse_error("[01]") == "cfg.json: line 1 col 3: leading zero in a number");
  CHECK(parse_error("[1.]") == "cfg.json: line 1 col 4: expected a digit after '.', got ']'");
  CHECK(parse_error("[NaN]") == "cfg.json: line 1 col 2: unexpected 'N'");
  CHECK(parse_error("[tru]") == "cfg.json: line 1 col 2: unexpected 't'");
  CHECK(parse_error("\n\n  \"abc") == "cfg.json: line 3 col 7: unterminated string");
  CHECK(parse_error("\"a\nb\"") == "cfg.json: line 1 col 3: control character in a string (escape it)");
  CHECK(parse_error(R"("\x")") == "cfg.json: line 1 col 3: unknown escape \\'x'");
  CHECK(parse_error(R"("\u12G4")") == "cfg.json: line 1 col 6: bad hex digit in a \\u escape: 'G'");
  CHECK(parse_error(R"("\ud83d")") == "cfg.json: line 1 col 2: high surrogate without its pair");
  CHECK(parse_error(R"("\ude00")") == "cfg.json: line 1 col 2: lone low surrogate in a \\u escape");
  CHECK(parse_error("\"\xC3\x28\"") == "cfg.json: line 1 col 2: invalid UTF-8 in a string");
  CHECK(parse_error("\"\xED\xA0\x80\"") == "cfg.json: line 1 col 2: invalid UTF-8 in a string");
  CHECK(parse_error("[1e999]") == "cfg.json: line 1 col 2: number 1e999 is out of range");
  CHECK(parse_error("// c\n{}") == "cfg.json: line 1 col 1: unexpected '/'");
}

TEST_CASE("json rejects hostile nesting without exhausting the stack") {
  // 256 levels parse; 257 do not; a million are rejected quickly.
  std::string ok = std::string(256, '[') + std::string(256, ']');
  CHECK(Json::parse(ok).is_array());
  std::string deep = std::string(257, '[') + std::string(257, ']');
  CHECK(parse_error(deep) == "cfg.json: line 1 col 257: nesting deeper than 256 levels");
  std::string hostile(1000000, '[');
  CHECK(parse_error(hostile).find("nesting deeper than 256 levels") != std::string::npos);
  std::string objects;
  for (int i = 0; i < 300; ++i) objects += "{\"a\":";
  CHECK(parse_error(objects).find("nesting deeper than 256 levels") != std::string::npos);
}

TEST_CASE("json dump escapes what acts on a terminal (DEL, C1, separators, bidi) and reads back equal") {
  const std::string hostile = std::string("a\x7f") + "\xc2\x9b" + "1m" + "\xe2\x80\xae" + "x" +
                              "\xe2\x80\xa8" + "\xe2\x81\xa6" + "é€";  // é and € stay as they are
  Json j = Json::object();
  j.set("name", hostile);
  const std::string text = j.dump();
  CHECK(text == "{\"name\":\"a\\u007f\\u009b1m\\u202ex\\u2028\\u2066é€\"}");
  CHECK(Json::parse(text).get("name").as_string() == hostile);
  // Bytes that are not UTF-8 (only code can make such a string) pass through unchanged.
  Json k = Json::object();
  k.set("raw", std::string("\x85\xc2" "A"));
  CHECK(k.dump() == "{\"raw\":\"\x85\xc2" "A\"}");
}
