#!/usr/bin/env bash
# Installs descent into a temporary prefix and builds tests/install/consumer against it twice:
# as a CMake package (find_package(descent), descent::descent) and with pkg-config (descent.pc).
# Each program must run and exit 0.
#   tests/install/check_install.sh [BUILD_DIR]
# With BUILD_DIR (an already built tree, as CTest's install_consumer test passes), only
# `cmake --install` runs on it; without, descent is configured and built in the temporary directory.
# CXX selects the compiler (default: c++). Each run uses its own temporary directory (parallel CTest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/descent-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
cxx=${CXX:-c++}

build=${1:-}
if [[ -z $build ]]; then
  build=$work/descent-build
  cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DDESCENT_BUILD_TESTS=OFF -DDESCENT_BUILD_SAMPLES=OFF >/dev/null
  cmake --build "$build" -j2 --target descent
fi
prefix=$work/prefix
echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in lib/cmake/descent/descentConfig.cmake lib/cmake/descent/descentConfigVersion.cmake \
         lib/cmake/descent/descentTargets.cmake lib/pkgconfig/descent.pc include/descent/descent.hpp; do
  [[ -f $prefix/$f ]] || { echo "missing: $prefix/$f" >&2; exit 1; }
done

# Both builds at once (2 cores): the CMake consumer in the background, pkg-config in the foreground.
echo "== CMake consumer: find_package(descent) with CMAKE_PREFIX_PATH=$prefix"
(
  cmake -S "$here/consumer" -B "$work/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 &&
  cmake --build "$work/consumer-build" >>"$work/cmake.log" 2>&1
) &
cmake_pid=$!

pkg_status=0
have_pkg_config=0
if command -v pkg-config >/dev/null; then
  have_pkg_config=1
  echo "== pkg-config consumer: $cxx -std=c++20 -O2 main.cpp \$(pkg-config --cflags --libs descent)"
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  echo "   cflags: $(pkg-config --cflags descent)"
  echo "   libs:   $(pkg-config --libs descent)"
  # Unquoted on purpose: what a user types.
  # shellcheck disable=SC2046
  "$cxx" -std=c++20 -O2 -o "$work/consumer-pkgconfig" "$here/consumer/main.cpp" \
    $(pkg-config --cflags --libs descent) || pkg_status=$?
else
  echo "== pkg-config consumer: SKIPPED (no pkg-config on PATH: apt-get install pkgconf)"
fi

cmake_status=0
wait $cmake_pid || cmake_status=$?
if (( cmake_status != 0 )); then cat "$work/cmake.log" >&2; echo "CMake consumer failed to build" >&2; exit 1; fi
(( pkg_status == 0 )) || { echo "pkg-config consumer failed to build" >&2; exit 1; }

out=$("$work/consumer-build/consumer")     # (CMake gives it an RPATH to the prefix)
echo "== run (CMake):      $out"
# descent::distributed (built with MPI): the CMake target and descent-distributed.pc, run as one rank.
if [[ -x $work/consumer-build/consumer_mpi ]]; then
  echo "== run (CMake, descent::distributed): $("$work/consumer-build/consumer_mpi")"
  if (( have_pkg_config )); then
    # shellcheck disable=SC2046
    "$cxx" -std=c++20 -O2 -o "$work/consumer-mpi-pkgconfig" "$here/consumer/mpi_main.cpp" \
      $(pkg-config --cflags --libs descent-distributed)
    echo "== run (pkg-config, descent-distributed): $(LD_LIBRARY_PATH="$(pkg-config --variable=libdir descent)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/consumer-mpi-pkgconfig")"
  fi
elif [[ -f $prefix/lib/pkgconfig/descent-distributed.pc ]]; then
  echo "descent-distributed.pc is installed but the CMake consumer has no descent::distributed" >&2; exit 1
fi
# descent::onnx (built with ONNX): the CMake target only (no .pc file).
if [[ -x $work/consumer-build/consumer_onnx ]]; then
  echo "== run (CMake, descent::onnx): $("$work/consumer-build/consumer_onnx" "$work/model.onnx")"
fi
if (( have_pkg_config )); then
  # A shared libdescent in a non-standard prefix is found through LD_LIBRARY_PATH.
  out=$(LD_LIBRARY_PATH="$(pkg-config --variable=libdir descent)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$work/consumer-pkgconfig")
  echo "== run (pkg-config): $out"
fi
echo "install_consumer: OK"
