#pragma once
// One scoring definition for every backend: functions marked GPUSIM_HD compile as
// __host__ __device__ under nvcc and as plain inline C++ under g++/clang. GPUSIM_NOINLINE keeps a
// rarely taken path (and its stack) out of its caller.
#if defined(__CUDACC__)
#define GPUSIM_HD __host__ __device__
#define GPUSIM_NOINLINE __noinline__
#else
#define GPUSIM_HD
#define GPUSIM_NOINLINE __attribute__((noinline))
#endif
