#!/usr/bin/env bash
# Every check CI runs, in this order; name stages to run only those: bash tests/ci.sh sanitize fuzz
#   tests     Release build with -Werror; the whole CTest suite (unit tests, samples, benchmark
#             smoke runs, install + consumer, ONNX export checked by onnxruntime from npm)
#   avx2      the same (less the benchmark programs and the tests that cannot depend on the
#             instruction set) at -DDESCENT_ARCH=x86-64-v3 (AVX2, FMA), OpenBLAS
#             on its Haswell kernels
#   sse2      the same at -DDESCENT_ARCH=x86-64 (SSE2), OpenBLAS on its Prescott (SSE3) kernels: a CPU
#             runs code built for a lower level, so this machine checks every level up to its own
#   sanitize  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer; clang's undefined
#             includes float-cast-overflow) build of the library and samples, in the fuzz stage's
#             tree (build-fuzz: clang, libFuzzer's coverage too); unit tests (uninstrumented
#             themselves), samples
#   thread    ThreadSanitizer build of the threads tests (tests/autograd/test_threads.cpp, tests/core/test_parallel.cpp)
#   fuzz      libFuzzer on every file reader, 10 s per target, two at a time (tests/fuzz/run.sh), in
#             the tree the sanitize stage built
#   valgrind  memcheck on the three samples, in sse2's build tree (valgrind cannot run AVX-512)
# The packages come from the README's test command. Build trees: build, build-x86-64-v3,
# build-x86-64, build-fuzz (sanitize and fuzz), build-tsan.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=2
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(tests avx2 sse2 sanitize thread fuzz valgrind)

# Sanitizer builds: optimised (the tests must stay quick) with line tables for the reports. At -O1
# GCC 12 inlines xsimd differently and repeats its false "'__Y' is used uninitialized" inside the
# AVX-512 intrinsics (GCC bug 105593): silenced there; the `tests` stage is the -Werror build.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=Release
                 "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1 -DNDEBUG -Wno-uninitialized -Wno-maybe-uninitialized")

# Release, -Werror, for instruction set $2 (DESCENT_ARCH), in build tree $1; more cmake options after.
configure_at() {
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Release -DDESCENT_WERROR=ON -DDESCENT_ARCH="$2" "${@:3}"
}

# The whole CTest suite at one instruction set. OPENBLAS_CORETYPE picks OpenBLAS's kernels for that
# level (it chooses them from CPUID otherwise, so AVX-512 ones here).
ctest_at() {
  configure_at "$@"
  cmake --build "$1" -j$jobs
  ctest --test-dir "$1" --output-on-failure -j$jobs
}

# onnxruntime (npm's onnxruntime-node, test-only: tests/onnx/package-lock.json) for the
# onnxruntime_outputs test, where npm is; that test says it is skipped where the package is not.
install_onnxruntime() {
  command -v npm > /dev/null || { echo "ci: no npm: onnxruntime_outputs will be skipped"; return 0; }
  (cd tests/onnx && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error) ||
    echo "ci: onnxruntime-node could not be installed: onnxruntime_outputs will be skipped"
}
stage_tests() { install_onnxruntime; ctest_at build native; }
# The other builds leave the benchmark programs out: their smoke runs time nothing useful there, and
# building them cost a minute a stage.
no_benchmarks=-DDESCENT_BUILD_BENCHMARKS=OFF
# descent::onnx: nothing in it depends on the instruction set, so the avx2, sse2 and thread stages
# leave it out; the sanitize and fuzz stages build it, for the importer reads untrusted files
# (libonnx and libprotobuf themselves are not instrumented).
no_onnx=-DDESCENT_ONNX=OFF
# The 10^7-node graphs of test_deep_graphs run in the tests stage; elsewhere 10^6 nodes show the same
# (no SIMD in them, and ASan triples each node's memory).
fewer_nodes=1000000
# The avx2 and sse2 stages leave out the tests that cannot depend on the instruction set (file
# readers and writers, printing, install: DESCENT_ISA_INDEPENDENT_TESTS in CMakeLists.txt).
isa_tests_only=-DDESCENT_ISA_INDEPENDENT_TESTS=OFF
stage_avx2() { DESCENT_DEEP_GRAPH_NODES=$fewer_nodes OPENBLAS_CORETYPE=Haswell ctest_at build-x86-64-v3 x86-64-v3 $no_benchmarks $no_onnx $isa_tests_only; }
# -g1: function names and lines in the valgrind stage's reports, which reuses this tree.
x86_64_options=(build-x86-64 x86-64 "-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG -g1" $no_benchmarks $no_onnx $isa_tests_only)
stage_sse2() {
  DESCENT_DEEP_GRAPH_NODES=$fewer_nodes OPENBLAS_CORETYPE=Prescott ctest_at "${x86_64_options[@]}"
}

stage_sanitize() {
  # The fuzz stage's tree (clang; the library with ASan + UBSan, fatal, and libFuzzer's coverage; -O1),
  # built whole here and tested, then reused by the fuzz stage: one instrumented library for both.
  # The test programs themselves uninstrumented (DESCENT_SANITIZE_TESTS=OFF): the library and the
  # samples are what the sanitizers check, and that halves the build.
  bash tests/fuzz/run.sh --configure -DDESCENT_SANITIZE_TESTS=OFF $no_benchmarks
  cmake --build build-fuzz -j$jobs
  # The install consumer is built without sanitizers: it runs in the plain builds only.
  DESCENT_DEEP_GRAPH_NODES=$fewer_nodes \
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-fuzz --output-on-failure -j$jobs --timeout 900 -E '^install_consumer$'
}

stage_thread() {
  cmake -S . -B build-tsan "${sanitizer_flags[@]}" -DDESCENT_SANITIZE=thread -DDESCENT_BUILD_SAMPLES=OFF $no_benchmarks $no_onnx
  cmake --build build-tsan -j$jobs --target test_threads test_parallel
  # OpenBLAS's own worker threads are not instrumented: one BLAS thread per caller, so that what
  # TSan sees is descent's threads only (user threads, and the intra-op pool's).
  for t in test_threads test_parallel; do
    OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/$t
  done
}

stage_fuzz() {
  bash tests/fuzz/run.sh 10
}

stage_valgrind() {
  local tree=build-x86-64   # the sse2 stage's (built already when that stage ran)
  configure_at "${x86_64_options[@]}"
  cmake --build $tree -j$jobs --target linear_regression custom_layer fashion_mnist
  # OpenBLAS picks its kernels from CPUID, which valgrind passes through: ask for AVX2 kernels.
  local memcheck=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
                  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
                  --show-leak-kinds=definite,indirect --quiet)
  "${memcheck[@]}" ./$tree/samples/linear_regression
  "${memcheck[@]}" ./$tree/samples/linear_regression --data samples/linear_regression/example.csv \
    --batch-size 16 --optimizer adam --lr 0.05 --epochs 5 --dtype float32
  "${memcheck[@]}" ./$tree/samples/custom_layer
  "${memcheck[@]}" ./$tree/samples/fashion_mnist --epochs 1 --limit 2000 --plot $tree/fmnist.svg
}

for stage in "${stages[@]}"; do
  start=$SECONDS
  echo "=== ci: $stage"
  "stage_$stage"
  echo "=== ci: $stage passed in $((SECONDS - start)) s"
done
echo "=== ci: all passed (${stages[*]}) in $SECONDS s"
