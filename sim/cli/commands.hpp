#pragma once
// Each gpusim subcommand registers itself on the CLI11 app and returns the exit code through
// the callback: 0 success, 1 expectations failed, 2 bad input.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace gpusim::cli {

// Thrown by commands to leave with a specific exit code after printing their own message.
struct ExitCode {
  int code;
};

void add_run_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_check_command(CLI::App& app);
void add_explain_command(CLI::App& app);
void add_get_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_import_command(CLI::App& app);

// Shared helpers.
int report_error(const std::exception& e);  // prints and maps an exception to an exit code
// --max-memory MIB: a resident-memory cap for the command's runs (run_stop.hpp).
void add_max_memory_option(CLI::App* cmd);
// --threads N for a command that runs one simulation at a time (RunOptions::threads); 0 (the
// default) picks min(2, cores).
void add_threads_option(CLI::App* cmd, unsigned& threads);
// --seed: a whole number 0..2^64-1, nothing else (CLI11 alone wraps "-1" round).
void add_seed_option(CLI::App* cmd, std::optional<std::uint64_t>& seed, const std::string& help);
unsigned run_threads(unsigned requested);

}  // namespace gpusim::cli
