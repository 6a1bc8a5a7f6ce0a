// A small JSON value: parse (strict, with line:column in errors) and serialize (stable key
// order). Used for safetensors headers, dataset.json, configs, results and --json output.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ulr {

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;  // null
  Json(bool b);
  Json(double d);
  Json(int v);
  Json(int64_t v);
  Json(const char* s);
  Json(std::string s);
  static Json array();
  static Json object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Accessors throw Error("json: expected <type>") on a type mismatch.
  bool as_bool() const;
  double as_number() const;
  // The number as an integer; throws when it is not integral or out of int64 range.
  int64_t as_int() const;
  // True when the value is a number holding an integer in [lo, hi] (|lo|, |hi| <= 2^53): one
  // that as_int() and a cast to any type holding [lo, hi] convert exactly. False for anything
  // else (a fraction, 1e300, a string), so callers check before they convert.
  bool is_integer_in(int64_t lo, int64_t hi) const;
  const std::string& as_string() const;
  const std::vector<Json>& items() const;                 // array
  const std::vector<std::pair<std::string, Json>>& members() const;  // object, insertion order

  // Object access. get() returns null-Json for a missing key; at() throws naming the key.
  bool has(const std::string& key) const;
  const Json& get(const std::string& key) const;
  const Json& at(const std::string& key) const;
  // set() on a null value makes it an object, push() makes it an array.
  Json& set(const std::string& key, Json value);  // replaces or appends; returns *this
  Json& push(Json value);                         // arrays; returns *this
  size_t size() const;                            // array items or object members

  // Parses text; throws Error("<label>: line L col C: problem"). Duplicate object keys are an
  // error, as are invalid UTF-8 and nesting deeper than 256 levels. Numbers are doubles.
  static Json parse(const std::string& text, const std::string& label = "json");
  // Serializes compactly (indent < 0) or pretty-printed; object members in insertion order.
  // Integral numbers below 2^53 print without a decimal point, others in the shortest form
  // that reads back to the same double; NaN and infinity (not JSON) print as null.
  std::string dump(int indent = -1) const;

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

}  // namespace ulr
