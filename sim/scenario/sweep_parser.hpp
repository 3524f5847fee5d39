#pragma once
// Reads a `kind: Sweep` document. Every problem is reported as file:line:col with the field
// path, and all of them are collected before throwing InputError.
#include <string>

#include "scenario/sweep_spec.hpp"

namespace gpusim::scenario {

SweepSpec load_sweep(const std::string& path);
// The same from text already read (`file` names it in diagnostics; relative paths resolve
// against `dir`).
SweepSpec parse_sweep(const std::string& text, const std::string& file, const std::string& dir);

// Whether `path` is a file whose first YAML document says `kind: Sweep` (false when it cannot
// be read or parsed: the loader that reads it next reports why).
bool is_sweep_document(const std::string& path);

// The axis names a Sweep accepts, as patterns (for messages and docs).
const std::vector<std::string>& sweep_axis_forms();

}  // namespace gpusim::scenario
