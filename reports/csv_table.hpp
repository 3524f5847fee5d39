#pragma once
// A CSV file as the recorders write it (RFC 4180 quoting, header row first), looked up by column
// name so that readers keep working when writers add columns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gpusim::reports {

class CsvTable {
 public:
  // Parses `text`; `name` is used in error messages. Throws std::runtime_error on a row whose
  // field count differs from the header's.
  static CsvTable parse(std::string_view text, const std::string& name);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  // Index of a column, or nullopt when the file has no such column.
  std::optional<std::size_t> column(std::string_view name) const;
  bool has(std::string_view name) const { return column(name).has_value(); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Field conversions that accept the empty field as "absent".
std::optional<std::int64_t> to_int(std::string_view s);
std::optional<double> to_double(std::string_view s);

}  // namespace gpusim::reports
