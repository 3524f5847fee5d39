// The scenario loader on arbitrary bytes as one multi-document YAML file: it may only answer
// with diagnostics (InputError) or a Scenario; any other exception, crash, leak or UB is a bug.
// validate() and load_scenario() must agree on whether the input has errors.
#include <cstdlib>
#include <exception>

#include "fuzz_file.hpp"
#include "scenario/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gpusim;
  const std::string path = fuzz::write_scratch("input.yaml", fuzz::as_text(data, size));
  const Diagnostics d = scenario::validate({path});
  bool threw = false;
  try {
    (void)scenario::load_scenario({path});
  } catch (const InputError& e) {
    threw = true;
    for (const Diagnostic& item : e.diagnostics())
      (void)item.str();
  }
  if (threw != d.has_errors()) std::abort();  // the two entry points disagree
  return 0;
}
