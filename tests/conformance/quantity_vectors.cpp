// Handlers for quantity.yaml: resource.Quantity parsing, printing, integer views, comparison and
// addition (kinds parse, parse_emit, string, parse_invalid, scaled_value, compare, add).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "conformance.hpp"
#include "core/quantity.hpp"

namespace gpusim::conformance {
namespace {

Quantity parse_field(const YAML::Node& input, std::string_view key) {
  const std::string text = string_field(input, key);
  const std::optional<Quantity> q = Quantity::parse(text);
  if (!q)
    throw VectorError("Quantity::parse rejected '" + text + "' (field " + std::string(key) + ")");
  return *q;
}

Quantity::Format format_field(const YAML::Node& map, std::string_view key) {
  const std::string name = string_field(map, key);
  const auto format = parse_format(name);
  if (!format) throw VectorError("unknown format '" + name + "' in field " + std::string(key));
  return *format;
}

void require_any(const YAML::Node& expect, std::initializer_list<std::string_view> keys) {
  check_keys(expect, keys);
  for (std::string_view k : keys) {
    if (has_field(expect, k)) return;
  }
  throw VectorError("expect has none of the fields this kind checks");
}

// value (exact decimal), format and String() after parsing; each present field is checked.
void check_parse(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"text"});
  require_any(expect, {"value", "format", "string"});
  const Quantity q = parse_field(input, "text");
  if (has_field(expect, "value")) {
    EXPECT_EQ(q.decimal(), string_field(expect, "value"));
  }
  if (has_field(expect, "format")) {
    EXPECT_STREQ(to_string(q.format()), to_string(format_field(expect, "format")));
  }
  if (has_field(expect, "string")) {
    EXPECT_EQ(q.str(), string_field(expect, "string"));
  }
}

void check_parse_emit(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"text"});
  check_keys(expect, {"string"});
  EXPECT_EQ(parse_field(input, "text").str(), string_field(expect, "string"));
}

// String() of a given exact value and format (no parse-time format rules).
void check_string(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"value", "format"});
  check_keys(expect, {"string"});
  const std::string value = string_field(input, "value");
  const auto q = Quantity::from_decimal(value, format_field(input, "format"));
  if (!q) throw VectorError("not a plain decimal value: '" + value + "'");
  EXPECT_EQ(q->str(), string_field(expect, "string"));
}

void check_parse_invalid(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"text"});
  check_keys(expect, {"error"});
  const std::string text = string_field(input, "text");
  const std::optional<Quantity> q = Quantity::parse(text);
  if (bool_field(expect, "error")) {
    EXPECT_FALSE(q.has_value()) << "'" << text << "' parsed as " << q->str();
  } else {
    EXPECT_TRUE(q.has_value()) << "'" << text << "' was rejected";
  }
}

// whole = Value(), milli = MilliValue().
void check_scaled_value(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"text"});
  require_any(expect, {"whole", "milli"});
  const Quantity q = parse_field(input, "text");
  if (has_field(expect, "whole")) {
    EXPECT_EQ(q.value(), int_field(expect, "whole"));
  }
  if (has_field(expect, "milli")) {
    EXPECT_EQ(q.milli_value(), int_field(expect, "milli"));
  }
}

void check_compare(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"a", "b"});
  check_keys(expect, {"cmp"});
  const Quantity a = parse_field(input, "a");
  const Quantity b = parse_field(input, "b");
  const auto order = a <=> b;
  const int cmp = order < 0 ? -1 : (order > 0 ? 1 : 0);
  EXPECT_EQ(cmp, int_field(expect, "cmp"));
}

// String() of a + b.
void check_add(const YAML::Node& input, const YAML::Node& expect) {
  check_keys(input, {"a", "b"});
  check_keys(expect, {"string"});
  const Quantity sum = parse_field(input, "a") + parse_field(input, "b");
  EXPECT_EQ(sum.str(), string_field(expect, "string"));
}

}  // namespace

void register_quantity_handlers(HandlerRegistry& registry) {
  registry.add("parse", check_parse);
  registry.add("parse_emit", check_parse_emit);
  registry.add("string", check_string);
  registry.add("parse_invalid", check_parse_invalid);
  registry.add("scaled_value", check_scaled_value);
  registry.add("compare", check_compare);
  registry.add("add", check_add);
}

}  // namespace gpusim::conformance
