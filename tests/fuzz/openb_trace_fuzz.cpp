// The openb trace CSV reader on arbitrary bytes: the input is the node file, a NUL byte, then the
// pod file (no NUL: both files get the same bytes). Only TraceData or InputError may come back.
#include <algorithm>

#include "core/diagnostics.hpp"
#include "fuzz_file.hpp"
#include "scenario/openb_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gpusim;
  const std::string_view text = fuzz::as_text(data, size);
  const auto nul = text.find('\0');
  const std::string_view nodes = nul == std::string_view::npos ? text : text.substr(0, nul);
  const std::string_view pods = nul == std::string_view::npos ? text : text.substr(nul + 1);
  const std::string node_file = fuzz::write_scratch("nodes.csv", nodes);
  const std::string pod_file = fuzz::write_scratch("pods.csv", pods);
  try {
    (void)scenario::read_openb_trace(node_file, pod_file);
  } catch (const InputError& e) {
    for (const Diagnostic& item : e.diagnostics())
      (void)item.str();
  }
  return 0;
}
