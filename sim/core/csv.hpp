#pragma once
// One CSV field as RFC 4180 writes it: quoted (with inner quotes doubled) when it holds a comma,
// a quote or a line break; as is otherwise. Shared by every CSV the engine and the CLI write.
#include <string>
#include <string_view>

namespace gpusim {

// csv_field(s) appended to `out`, without a temporary for the common unquoted case.
inline void append_csv_field(std::string& out, std::string_view s) {
  // Not find_first_of: that looks each character up in the set with a memchr call.
  bool plain = true;
  for (const char c : s)
    plain = plain && c != ',' && c != '"' && c != '\n' && c != '\r';
  if (plain) {
    out.append(s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

inline std::string csv_field(std::string_view s) {
  std::string out;
  append_csv_field(out, s);
  return out;
}

}  // namespace gpusim
