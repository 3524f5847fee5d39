// Quantity parsing on arbitrary text. What parses must print canonically and parse back to the
// same value; printing is a fixed point from the second round on (the first may change the
// format, as upstream's does: "2293937.5Ki" prints as "2348992000", which reads back DecimalSI
// and prints "2348992k"); decimal() must read back through from_decimal; arithmetic saturates.
#include <cstdlib>

#include "core/quantity.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gpusim::Quantity;
  const std::string_view text = gpusim::fuzz::as_text(data, size);
  const auto q = Quantity::parse(text);
  if (!q) return 0;
  const std::string canonical = q->str();
  const auto again = Quantity::parse(canonical);
  if (!again || *again != *q) std::abort();
  const auto third = Quantity::parse(again->str());
  if (!third || *third != *q || third->str() != again->str()) std::abort();
  const auto exact = Quantity::from_decimal(q->decimal(), q->format());
  if (!exact || *exact != *q) std::abort();
  (void)q->value();
  (void)q->milli_value();
  (void)q->scaled_value(-9);
  (void)q->scaled_value(9);
  const Quantity sum = *q + *q;
  const Quantity diff = sum - *q;
  (void)(-diff).str();
  if (q->sign() >= 0 && sum < *q) std::abort();  // saturating, never wrapping
  return 0;
}
