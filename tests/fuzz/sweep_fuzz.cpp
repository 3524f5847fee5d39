// The Sweep document parser on arbitrary text: only a SweepSpec or InputError may come back.
#include "core/diagnostics.hpp"
#include "fuzz_file.hpp"
#include "scenario/sweep_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gpusim;
  try {
    (void)scenario::parse_sweep(std::string(fuzz::as_text(data, size)), "sweep.yaml",
                                fuzz::scratch_dir().string());
  } catch (const InputError& e) {
    for (const Diagnostic& item : e.diagnostics())
      (void)item.str();
  }
  return 0;
}
