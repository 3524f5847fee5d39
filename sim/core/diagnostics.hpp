#pragma once
// Problems in user input, reported as file:line:column, the field path and a hint, the way a
// compiler reports errors. Loading collects every problem before failing, so one run of
// `gpusim validate` shows them all.
#include <stdexcept>
#include <string>
#include <vector>

namespace gpusim {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string str() const;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string field_path;  // e.g. spec.template.spec.containers[0].resources.requests.cpu
  std::string message;
  std::string hint;  // how to fix it; may be empty
  // "file:line:col: error: field: message (hint)"
  std::string str() const;
};

class Diagnostics {
 public:
  void error(SourceLocation loc, std::string field_path, std::string message,
             std::string hint = {});
  void warning(SourceLocation loc, std::string field_path, std::string message,
               std::string hint = {});
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other);
  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  // Throws InputError carrying every diagnostic when any is an error.
  void throw_if_errors() const;

 private:
  std::vector<Diagnostic> items_;
};

// Bad input: the CLI prints every diagnostic and exits with code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(SourceLocation loc, std::string field_path, std::string message,
             std::string hint = {});
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The closest candidate by edit distance, for "did you mean" hints; empty when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gpusim
