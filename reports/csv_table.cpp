#include "reports/csv_table.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace gpusim::reports {

namespace {
// Splits one record starting at `pos`; advances `pos` past its line end.
std::vector<std::string> read_record(std::string_view text, std::size_t& pos) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return fields;
}
}  // namespace

CsvTable CsvTable::parse(std::string_view text, const std::string& name) {
  CsvTable t;
  t.name_ = name;
  std::size_t pos = 0;
  if (text.empty()) return t;
  t.header_ = read_record(text, pos);
  std::size_t line = 1;
  while (pos < text.size()) {
    ++line;
    std::vector<std::string> row = read_record(text, pos);
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    if (row.size() != t.header_.size()) {
      throw std::runtime_error(name + ":" + std::to_string(line) + ": " +
                               std::to_string(row.size()) + " fields where the header has " +
                               std::to_string(t.header_.size()));
    }
    t.rows_.push_back(std::move(row));
  }
  return t;
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    // Integers written as decimals ("3.0") still count.
    if (auto d = to_double(s)) return static_cast<std::int64_t>(*d);
    return std::nullopt;
  }
  return v;
}

std::optional<double> to_double(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const std::string str(s);
  char* end = nullptr;
  const double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return std::nullopt;
  return v;
}

}  // namespace gpusim::reports
