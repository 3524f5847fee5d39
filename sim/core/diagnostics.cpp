#include "core/diagnostics.hpp"

#include <algorithm>

namespace gpusim {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    // Appends, not `":" + std::to_string(...)`: GCC 12 warns falsely (-Wrestrict) about that.
    s.append(":").append(std::to_string(line));
    if (column > 0) s.append(":").append(std::to_string(column));
  }
  return s;
}

std::string Diagnostic::str() const {
  std::string s = location.str();
  s += severity == Severity::kError ? ": error: " : ": warning: ";
  if (!field_path.empty()) s += field_path + ": ";
  s += message;
  if (!hint.empty()) s += " (hint: " + hint + ")";
  return s;
}

void Diagnostics::error(SourceLocation loc, std::string field_path, std::string message,
                        std::string hint) {
  items_.push_back(Diagnostic{Severity::kError, std::move(loc), std::move(field_path),
                              std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourceLocation loc, std::string field_path, std::string message,
                          std::string hint) {
  items_.push_back(Diagnostic{Severity::kWarning, std::move(loc), std::move(field_path),
                              std::move(message), std::move(hint)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::kError; }));
}

void Diagnostics::throw_if_errors() const {
  if (has_errors()) throw InputError(items_);
}

namespace {
std::string summarize(const std::vector<Diagnostic>& ds) {
  for (const auto& d : ds) {
    if (d.severity == Severity::kError) return d.str();
  }
  return ds.empty() ? std::string("invalid input") : ds.front().str();
}
}  // namespace

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(summarize(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(SourceLocation loc, std::string field_path, std::string message,
                       std::string hint)
    : InputError(std::vector<Diagnostic>{Diagnostic{Severity::kError, std::move(loc),
                                                    std::move(field_path), std::move(message),
                                                    std::move(hint)}}) {}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // Levenshtein distance, case-insensitive.
    std::vector<std::size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (std::size_t j = 0; j <= c.size(); ++j)
      prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= c.size(); ++j) {
        const bool same = std::tolower(static_cast<unsigned char>(word[i - 1])) ==
                          std::tolower(static_cast<unsigned char>(c[j - 1]));
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

}  // namespace gpusim
