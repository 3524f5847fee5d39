#include <algorithm>
#include <charconv>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/run_stop.hpp"
#include "core/diagnostics.hpp"

namespace gpusim::cli {

int report_error(const std::exception& e) {
  if (const auto* ie = dynamic_cast<const InputError*>(&e)) {
    std::size_t errors = 0;
    for (const auto& d : ie->diagnostics()) {
      std::cerr << d.str() << "\n";
      errors += d.severity == Severity::kError ? 1 : 0;
    }
    std::cerr << errors << " error(s); nothing was run\n";
    return 2;
  }
  if (const auto* stopped = dynamic_cast<const RunStopped*>(&e)) {
    std::cerr << "gpusim: " << e.what() << "\n";
    return stopped->exit_code();
  }
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) {
    std::cerr << "gpusim: error: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "gpusim: error: " << e.what() << "\n";
  return 3;
}

void add_max_memory_option(CLI::App* cmd) {
  cmd->add_option_function<std::int64_t>(
         "--max-memory", [](const std::int64_t& mib) { set_memory_cap_mib(mib); },
         "Stop with exit 4 when resident memory passes MIB MiB (default: $GPUSIM_MAX_MEMORY_MIB, "
         "else no cap)")
      ->type_name("MIB")
      ->check(CLI::PositiveNumber);
}

void add_threads_option(CLI::App* cmd, unsigned& threads) {
  cmd->add_option("--threads", threads,
                  "Threads for a serving run's metrics scrape and HPA syncs (0: min(2, cores)); "
                  "results are the same for any count")
      ->type_name("N")
      ->check(CLI::Range(0U, 256U));
}

void add_seed_option(CLI::App* cmd, std::optional<std::uint64_t>& seed, const std::string& help) {
  cmd->add_option("--seed", seed, help)
      ->type_name("N")
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            std::uint64_t v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
              return "expected a whole number from 0 to 18446744073709551615, got \"" + text + "\"";
            }
            return {};
          },
          "0..2^64-1"));
}

unsigned run_threads(unsigned requested) {
  // Two: one spinning helper is what the scrape's and syncs' few hundred items per step pay
  // for (bench/RESULTS.md); more is the user's call.
  if (requested > 0) return requested;
  return std::min(2U, std::max(1U, std::thread::hardware_concurrency()));
}

}  // namespace gpusim::cli
