#pragma once
// One scoring definition for every backend: functions marked GPUSIM_HD compile as
// __host__ __device__ under nvcc and as plain inline C++ under g++/clang.
#if defined(__CUDACC__)
#define GPUSIM_HD __host__ __device__
#else
#define GPUSIM_HD
#endif
