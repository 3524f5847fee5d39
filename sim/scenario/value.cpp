#include "scenario/value.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include "core/duration.hpp"

namespace gpusim::scenario {
namespace {

constexpr const char* kStrTag = "tag:yaml.org,2002:str";
constexpr const char* kIntTag = "tag:yaml.org,2002:int";
constexpr const char* kFloatTag = "tag:yaml.org,2002:float";
constexpr const char* kBoolTag = "tag:yaml.org,2002:bool";
constexpr const char* kNullTag = "tag:yaml.org,2002:null";

bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// YAML 1.1 booleans, as go-yaml v2 (and so kubectl) resolves them.
std::optional<bool> bool_word(std::string_view s) {
  static constexpr std::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                               "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  for (auto w : kTrue) {
    if (s == w) return true;
  }
  for (auto w : kFalse) {
    if (s == w) return false;
  }
  return std::nullopt;
}

std::string without_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

bool all_of(std::string_view s, int (*pred)(int)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int is_octal(int c) {
  return c >= '0' && c <= '7';
}
int is_binary(int c) {
  return c == '0' || c == '1';
}

// Parses a YAML 1.1 integer: sign, then 0x/0o/0b prefixes, a leading 0 for octal, or decimal.
// `overflow` is set when the magnitude does not fit in int64.
std::optional<std::int64_t> parse_int(std::string_view text, bool& overflow) {
  overflow = false;
  std::string s = without_underscores(text);
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  std::string_view digits(s);
  digits.remove_prefix(i);
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
    if (!all_of(digits, isxdigit)) return std::nullopt;
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'o') {
    base = 8;
    digits.remove_prefix(2);
    if (!all_of(digits, is_octal)) return std::nullopt;
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'b') {
    base = 2;
    digits.remove_prefix(2);
    if (!all_of(digits, is_binary)) return std::nullopt;
  } else if (digits.size() > 1 && digits[0] == '0' && all_of(digits, is_octal)) {
    base = 8;
  } else if (!all_of(digits, isdigit)) {
    return std::nullopt;
  }
  // Accumulate as a negative number so that INT64_MIN fits.
  std::int64_t v = 0;
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  for (char c : digits) {
    const int d = std::isdigit(static_cast<unsigned char>(c))
                      ? c - '0'
                      : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (v < (kMin + d) / base) {
      overflow = true;
      return std::nullopt;
    }
    v = v * base - d;
  }
  if (!negative) {
    if (v == kMin) {
      overflow = true;
      return std::nullopt;
    }
    v = -v;
  }
  return v;
}

bool looks_like_float(std::string_view text) {
  static constexpr std::string_view kSpecial[] = {".inf",  ".Inf",  ".INF",  "+.inf",
                                                  "+.Inf", "+.INF", "-.inf", "-.Inf",
                                                  "-.INF", ".nan",  ".NaN",  ".NAN"};
  for (auto w : kSpecial) {
    if (text == w) return true;
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  const std::string s = without_underscores(text);
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
    ++i, ++int_digits;
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return false;
  } else if (int_digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

std::optional<double> parse_float(std::string_view text) {
  std::string s = without_underscores(text);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  try {
    std::size_t used = 0;
    const double d = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return d;
  } catch (const std::exception&) {
    return std::nullopt;  // out of range: treated as not a number
  }
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

std::string type_hint(const YAML::Node& node, const char* expected) {
  if (!node.IsScalar()) return {};
  const std::string want(expected);
  if (want.find("string") != std::string::npos) {
    return "quote it: \"" + node.Scalar() + "\"";
  }
  return {};
}

}  // namespace

ScalarKind scalar_kind(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarKind::kNull;
  const std::string& tag = node.Tag();
  const std::string& s = node.Scalar();
  if (tag == "!" || tag == kStrTag) return ScalarKind::kString;
  if (tag == kIntTag) return ScalarKind::kInt;
  if (tag == kFloatTag) return ScalarKind::kFloat;
  if (tag == kBoolTag) return ScalarKind::kBool;
  if (tag == kNullTag) return ScalarKind::kNull;
  if (tag != "?" && !tag.empty()) return ScalarKind::kString;  // application tags
  if (is_null_word(s)) return ScalarKind::kNull;
  if (bool_word(s)) return ScalarKind::kBool;
  bool overflow = false;
  if (parse_int(s, overflow) || overflow) return ScalarKind::kInt;
  if (looks_like_float(s)) return ScalarKind::kFloat;
  return ScalarKind::kString;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  switch (scalar_kind(node)) {
    case ScalarKind::kNull:
      return "null";
    case ScalarKind::kBool:
      return "boolean " + node.Scalar();
    case ScalarKind::kInt:
    case ScalarKind::kFloat:
      return "number " + node.Scalar();
    case ScalarKind::kString:
      return quoted(node.Scalar());
  }
  return "a value";
}

std::string child_path(const std::string& parent, std::string_view key) {
  bool simple = !key.empty();
  for (char c : key) {
    simple = simple && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  }
  if (!simple) return parent + "[" + std::string(key) + "]";
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

void Value::error(std::string message, std::string hint) const {
  doc_->diagnostics().error(location(), path_, std::move(message), std::move(hint));
}

void Value::warning(std::string message, std::string hint) const {
  doc_->diagnostics().warning(location(), path_, std::move(message), std::move(hint));
}

void Value::type_error(const char* expected) const {
  error(std::string("expected ") + expected + ", got " + describe(node_),
        type_hint(node_, expected));
}

void Value::unsupported(const std::string& got, const std::vector<std::string>& supported) const {
  std::string list;
  for (const auto& s : supported)
    list += (list.empty() ? "" : ", ") + quoted(s);
  const std::string near = closest_match(got, supported);
  error("unsupported value " + quoted(got) + ": supported values: " + list,
        near.empty() ? std::string() : "did you mean " + quoted(near) + "?");
}

std::optional<std::string> Value::str() const {
  if (!present()) return std::nullopt;
  if (!node_.IsScalar() || scalar_kind(node_) != ScalarKind::kString) {
    type_error("a string");
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::string> Value::scalar_text() const {
  if (!present()) return std::nullopt;
  if (!node_.IsScalar()) {
    type_error("a single value");
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::int64_t> Value::i64() const {
  if (!present()) return std::nullopt;
  if (!node_.IsScalar()) {
    type_error("an integer");
    return std::nullopt;
  }
  const ScalarKind kind = scalar_kind(node_);
  if (kind == ScalarKind::kInt) {
    bool overflow = false;
    auto v = parse_int(node_.Scalar(), overflow);
    if (!v) {
      error("integer " + node_.Scalar() + " is out of range",
            "the largest 64-bit integer is 9223372036854775807");
      return std::nullopt;
    }
    return v;
  }
  if (kind == ScalarKind::kFloat) {
    // sigs.k8s.io/yaml writes whole floats as integers ("3.0" -> 3); anything else is an error.
    auto d = parse_float(node_.Scalar());
    if (d && std::isfinite(*d) && std::floor(*d) == *d) {
      if (std::fabs(*d) < 9.2e18) return static_cast<std::int64_t>(*d);
      error("integer " + node_.Scalar() + " is out of range",
            "the largest 64-bit integer is 9223372036854775807");
      return std::nullopt;
    }
  }
  type_error("an integer");
  return std::nullopt;
}

std::optional<std::int32_t> Value::i32() const {
  auto v = i64();
  if (!v) return std::nullopt;
  if (*v > std::numeric_limits<std::int32_t>::max() ||
      *v < std::numeric_limits<std::int32_t>::min()) {
    error("integer " + node_.Scalar() + " is out of range for a 32-bit field",
          "the largest allowed value is 2147483647");
    return std::nullopt;
  }
  return static_cast<std::int32_t>(*v);
}

std::optional<double> Value::number() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar()) {
    const ScalarKind kind = scalar_kind(node_);
    if (kind == ScalarKind::kInt || kind == ScalarKind::kFloat) {
      auto d = parse_float(node_.Scalar());
      if (!d) {
        bool overflow = false;
        if (auto i = parse_int(node_.Scalar(), overflow)) d = static_cast<double>(*i);
      }
      if (d && std::isfinite(*d)) return d;
      error("number " + node_.Scalar() + " is not a finite number");
      return std::nullopt;
    }
  }
  type_error("a number");
  return std::nullopt;
}

std::optional<bool> Value::boolean() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar() && scalar_kind(node_) == ScalarKind::kBool) {
    if (node_.Tag() == kBoolTag) return node_.Scalar() == "true";
    return bool_word(node_.Scalar());
  }
  type_error("true or false");
  return std::nullopt;
}

std::optional<Quantity> Value::quantity() const {
  if (!present()) return std::nullopt;
  if (!node_.IsScalar() || scalar_kind(node_) == ScalarKind::kBool) {
    type_error("a quantity");
    return std::nullopt;
  }
  auto q = Quantity::parse(node_.Scalar());
  if (!q) {
    error("invalid quantity " + quoted(node_.Scalar()),
          "a number with an optional suffix: 500m, 2, 1.5, 512Mi, 1Gi, 1e3 (suffixes are "
          "case-sensitive: k, M, G, Ki, Mi, Gi)");
    return std::nullopt;
  }
  return q;
}

std::optional<TimeMs> Value::duration() const {
  if (!present()) return std::nullopt;
  if (!node_.IsScalar() || scalar_kind(node_) == ScalarKind::kBool) {
    type_error("a duration");
    return std::nullopt;
  }
  auto ms = parse_duration_ms(node_.Scalar());
  if (!ms) {
    error("invalid duration " + quoted(node_.Scalar()),
          "Go duration syntax such as 90s, 1h30m, 1.5h, 250ms, 2d, or a whole number of seconds");
    return std::nullopt;
  }
  if (*ms < 0) {
    error("duration " + quoted(node_.Scalar()) + " must not be negative");
    return std::nullopt;
  }
  return ms;
}

namespace {
template <typename T>
std::optional<T> non_negative(const Value& v, std::optional<T> n) {
  if (n && *n < 0) {
    v.error("must be greater than or equal to 0, got " + std::to_string(*n));
    return std::nullopt;
  }
  return n;
}
}  // namespace

std::optional<std::int64_t> Value::non_negative_i64() const {
  return non_negative(*this, i64());
}

std::optional<std::int32_t> Value::non_negative_i32() const {
  return non_negative(*this, i32());
}

std::optional<TimeMs> Value::positive_duration() const {
  auto ms = duration();
  if (ms && *ms == 0) {
    error("must be greater than 0");
    return std::nullopt;
  }
  return ms;
}

std::optional<IntOrString> Value::int_or_string() const {
  if (!present()) return std::nullopt;
  if (node_.IsScalar()) {
    const ScalarKind kind = scalar_kind(node_);
    if (kind == ScalarKind::kString) return IntOrString::of(node_.Scalar());
    if (kind == ScalarKind::kInt || kind == ScalarKind::kFloat) {
      if (auto v = i32()) return IntOrString::of(*v);
      return std::nullopt;
    }
  }
  type_error("an integer or a percentage string");
  return std::nullopt;
}

std::optional<Labels> Value::string_map() const {
  if (!present()) return std::nullopt;
  if (!node_.IsMap()) {
    type_error("a mapping of strings");
    return std::nullopt;
  }
  Labels out;
  bool ok = true;
  for (const auto& kv : node_) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      Value(doc_, k, path_, k.Mark()).error("expected a string key, got " + describe(k));
      ok = false;
      continue;
    }
    const std::string& key = k.Scalar();
    const YAML::Node& v = kv.second;
    Value value(doc_, v, child_path(path_, key), v.IsNull() ? k.Mark() : v.Mark());
    if (out.count(key)) {
      Value(doc_, k, child_path(path_, key), k.Mark()).error("duplicate key " + quoted(key));
      ok = false;
      continue;
    }
    if (!value.present()) {
      // Kubernetes decodes a null map value as "".
      out.emplace(key, std::string());
      continue;
    }
    auto s = value.str();
    if (!s) {
      ok = false;
      continue;
    }
    out.emplace(key, *s);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> Value::string_list() const {
  if (!present()) return std::nullopt;
  if (!node_.IsSequence()) {
    type_error("a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const Value& item : items()) {
    if (auto s = item.str()) {
      out.push_back(*s);
    } else {
      if (!item.present()) item.error("expected a string, got null");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<Value> Value::items() const {
  std::vector<Value> out;
  if (!present()) return out;
  if (!node_.IsSequence()) {
    type_error("a list");
    return out;
  }
  std::size_t i = 0;
  for (const auto& item : node_) {
    const YAML::Mark m = item.IsNull() ? mark_ : item.Mark();
    out.emplace_back(doc_, item, path_ + "[" + std::to_string(i) + "]", m);
    ++i;
  }
  return out;
}

}  // namespace gpusim::scenario
