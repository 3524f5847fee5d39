#pragma once
// Time integrals (resource x milliseconds over a month) overflow 64 bits; GCC and Clang have a
// 128-bit integer, and __extension__ keeps -Wpedantic quiet about it.

namespace gpusim {

__extension__ typedef __int128 Int128;  // NOLINT(modernize-use-using): __extension__ needs typedef

}  // namespace gpusim
