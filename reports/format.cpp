#include "reports/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gpusim::reports {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string percent(double fraction, int decimals) {
  return fixed(fraction * 100.0, decimals) + "%";
}

std::string bytes_quantity(std::int64_t bytes) {
  static const char* const units[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
  int u = 0;
  std::int64_t v = bytes;
  while (u < 5 && v != 0 && v % 1024 == 0) {
    v /= 1024;
    ++u;
  }
  if (u == 0 && bytes >= 1024) {
    // Not a whole binary unit: the largest unit with one decimal.
    double d = static_cast<double>(bytes);
    while (u < 5 && d >= 1024) {
      d /= 1024;
      ++u;
    }
    return fixed(d, 1) + units[u];
  }
  return std::to_string(v) + units[u];
}

std::string cpu_quantity(std::int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

double percentile_sorted(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[rank == 0 ? 0 : std::min(rank, v.size()) - 1];
}

namespace {
bool plain_scalar(const std::string& s) {
  if (s.empty()) return false;
  static const char* const reserved[] = {"true", "false", "null", "yes",   "no",  "on",
                                         "off",  "~",     "True", "False", "Null"};
  for (const char* r : reserved) {
    if (s == r) return false;
  }
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '.' || s[0] == '+')
    return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '/' ||
          c == '.' || c == ' '))
      return false;
  }
  return s.front() != ' ' && s.back() != ' ';
}
std::string scalar(const nlohmann::ordered_json& j) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    return plain_scalar(s) ? s : j.dump();
  }
  return j.dump();
}
void emit(const nlohmann::ordered_json& j, int indent, std::string& out, bool in_list) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (j.is_object()) {
    if (j.empty()) {
      out += "{}\n";
      return;
    }
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!(first && in_list)) out += pad;
      first = false;
      out += (plain_scalar(it.key()) ? it.key() : nlohmann::ordered_json(it.key()).dump()) + ":";
      const auto& v = it.value();
      if ((v.is_object() || v.is_array()) && !v.empty()) {
        out += "\n";
        emit(v, indent + 2, out, false);
      } else if (v.is_object()) {
        out += " {}\n";
      } else if (v.is_array()) {
        out += " []\n";
      } else {
        out += " " + scalar(v) + "\n";
      }
    }
  } else if (j.is_array()) {
    if (j.empty()) {
      out += "[]\n";
      return;
    }
    for (const auto& v : j) {
      out += pad + "- ";
      if (v.is_object() && !v.empty()) {
        emit(v, indent + 2, out, true);
      } else if (v.is_array() && !v.empty()) {
        out += "\n";
        emit(v, indent + 2, out, false);
      } else {
        out += scalar(v) + "\n";
      }
    }
  } else {
    out += pad + scalar(j) + "\n";
  }
}
}  // namespace

std::string to_yaml(const nlohmann::ordered_json& j) {
  std::string out;
  emit(j, 0, out, false);
  return out;
}

std::string table_text(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace gpusim::reports
