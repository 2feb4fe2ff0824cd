#!/usr/bin/env bash
# Compile time of a small user program (user_descent.cpp) against the same program with LibTorch
# (user_torch.cpp; Debian's libtorch-dev), and with descent.hpp precompiled; three runs each.
#   tests/benchmarks/compile_time/compile_time.sh        # from the repository's root
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
descent=(-std=c++20 "-I$root/include" -DXTENSOR_USE_XSIMD "-DXTENSOR_DEFAULT_ALLOCATOR(T)=std::allocator<T>" -march=native)
torch=(-std=c++17 -I/usr/include/torch/csrc/api/include)
echo '#include <descent/descent.hpp>' > "$work/all.hpp"
g++ -O2 "${descent[@]}" -x c++-header "$work/all.hpp" -o "$work/all.hpp.gch"
for run in 1 2 3; do
  for opt in -O2 -O0; do
    /usr/bin/time -f "descent $opt: %e s" g++ $opt "${descent[@]}" -c "$here/user_descent.cpp" -o "$work/d.o"
    /usr/bin/time -f "torch   $opt: %e s" g++ $opt "${torch[@]}" -c "$here/user_torch.cpp" -o "$work/t.o"
  done
  /usr/bin/time -f "descent -O2, descent.hpp precompiled: %e s" g++ -O2 "${descent[@]}" -include "$work/all.hpp" \
    -Winvalid-pch -c "$here/user_descent.cpp" -o "$work/d.o"
done
