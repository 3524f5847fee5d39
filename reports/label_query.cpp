#include "reports/label_query.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace gpusim::reports {

namespace {
std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
    ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
    --b;
  return s.substr(a, b - a);
}
bool valid_key(const std::string& k) {
  if (k.empty()) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}
}  // namespace

LabelQuery LabelQuery::parse(const std::string& text) {
  LabelQuery q;
  // Split on commas outside parentheses.
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0)
    throw std::invalid_argument("label selector \"" + text + "\": unbalanced parentheses");
  parts.push_back(cur);
  for (const auto& raw : parts) {
    const std::string p = trim(raw);
    if (p.empty()) {
      if (parts.size() == 1) break;
      throw std::invalid_argument("label selector \"" + text + "\": empty requirement");
    }
    Term t;
    auto set_term = [&](std::size_t at, Op op, std::size_t len) {
      t.key = trim(p.substr(0, at));
      t.op = op;
      std::string rest = trim(p.substr(at + len));
      if (op == Op::kIn || op == Op::kNotIn) {
        if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
          throw std::invalid_argument("label selector \"" + text + "\": expected (values) after " +
                                      (op == Op::kIn ? "in" : "notin"));
        }
        std::string inner = rest.substr(1, rest.size() - 2);
        std::size_t s = 0;
        while (true) {
          const std::size_t e = inner.find(',', s);
          t.values.push_back(
              trim(inner.substr(s, e == std::string::npos ? std::string::npos : e - s)));
          if (e == std::string::npos) break;
          s = e + 1;
        }
      } else {
        t.values.push_back(rest);
      }
    };
    std::size_t pos;
    if ((pos = p.find("!=")) != std::string::npos) {
      set_term(pos, Op::kNe, 2);
    } else if ((pos = p.find("==")) != std::string::npos) {
      set_term(pos, Op::kEq, 2);
    } else if ((pos = p.find('=')) != std::string::npos) {
      set_term(pos, Op::kEq, 1);
    } else if ((pos = p.find(" notin ")) != std::string::npos ||
               (pos = p.find(" notin(")) != std::string::npos) {
      set_term(pos, Op::kNotIn, 6);
    } else if ((pos = p.find(" in ")) != std::string::npos ||
               (pos = p.find(" in(")) != std::string::npos) {
      set_term(pos, Op::kIn, 3);
    } else if (p[0] == '!') {
      t.key = trim(p.substr(1));
      t.op = Op::kNotExists;
    } else {
      t.key = p;
      t.op = Op::kExists;
    }
    if (!valid_key(t.key))
      throw std::invalid_argument("label selector \"" + text + "\": invalid label key \"" + t.key +
                                  "\"");
    q.terms_.push_back(std::move(t));
  }
  return q;
}

bool LabelQuery::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& t : terms_) {
    auto it = labels.find(t.key);
    const bool has = it != labels.end();
    switch (t.op) {
      case Op::kEq:
        if (!has || it->second != t.values[0]) return false;
        break;
      case Op::kNe:
        if (has && it->second == t.values[0]) return false;
        break;
      case Op::kIn:
        if (!has || std::find(t.values.begin(), t.values.end(), it->second) == t.values.end())
          return false;
        break;
      case Op::kNotIn:
        if (has && std::find(t.values.begin(), t.values.end(), it->second) != t.values.end())
          return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace gpusim::reports
