#pragma once
// The library's precompiled header (lib/CMakeLists.txt): xtensor, xsimd and the headers most of
// lib/ includes, parsed once per build instead of once per file (~2 s each of the ~4 s a typical
// file takes). Every file still includes what it uses, which a build configured with
// -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON checks.

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xarray.hpp>

#include "descent/autograd/function.hpp"
#include "descent/ops/elementwise.hpp"
#include "descent/tensor.hpp"
#include "detail/dispatch.hpp"
