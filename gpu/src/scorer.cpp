// Backend choice at run time.
#include "gpusim/gpu/scorer.hpp"

#include <string>

namespace gpusim::gpu {
namespace detail {
#if defined(GPUSIM_HAVE_CUDA)
std::unique_ptr<Scorer> make_cuda_scorer();
int cuda_device_count(std::string* why);
#endif
}  // namespace detail

std::optional<Backend> parse_backend(std::string_view name) {
  if (name == "auto") return Backend::kAuto;
  if (name == "cpu") return Backend::kCpu;
  if (name == "cuda") return Backend::kCuda;
  return std::nullopt;
}

const char* to_string(Backend b) {
  switch (b) {
    case Backend::kAuto:
      return "auto";
    case Backend::kCpu:
      return "cpu";
    case Backend::kCuda:
      return "cuda";
  }
  return "auto";
}

bool cuda_compiled() {
#if defined(GPUSIM_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

int cuda_devices(std::string* why) {
#if defined(GPUSIM_HAVE_CUDA)
  return detail::cuda_device_count(why);
#else
  if (why) *why = "this gpusim was built without the CUDA backend (no nvcc at build time)";
  return 0;
#endif
}

std::unique_ptr<Scorer> make_scorer(Backend want, std::string* note) {
  if (want == Backend::kCpu) return make_cpu_scorer();
  std::string why;
  if (cuda_devices(&why) > 0) {
#if defined(GPUSIM_HAVE_CUDA)
    return detail::make_cuda_scorer();
#endif
  }
  if (note) *note = "no usable CUDA device (" + why + "); using the CPU scorer";
  return make_cpu_scorer();
}

}  // namespace gpusim::gpu
