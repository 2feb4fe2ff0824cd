# Every dependency comes from a Debian 12 package (see README.md).
find_package(xtl 0.7 CONFIG REQUIRED)
find_package(xsimd 8 CONFIG REQUIRED)
find_package(xtensor 0.24 CONFIG REQUIRED)
set(BLA_VENDOR OpenBLAS)   # before anything else looks for BLAS
find_package(BLAS REQUIRED)
find_package(ZLIB REQUIRED)
include(${CMAKE_CURRENT_LIST_DIR}/libzip.cmake)
find_package(Threads REQUIRED)
# Anomaly detection's "where was this op recorded": call stacks symbolised through libbacktrace.
find_package(Boost 1.74 CONFIG REQUIRED COMPONENTS stacktrace_backtrace)

# One interface target carries every numeric flag, so all translation units (ours and the
# user's) see the same xtensor types: xsimd on, std::allocator instead of xsimd's aligned
# allocator (assignment into existing arrays is ~8x slower with it, see shared/XTENSOR.md).
add_library(descent_numeric INTERFACE)
target_link_libraries(descent_numeric INTERFACE xtensor xsimd xtl)
# (A function-style macro cannot go through compile definitions, hence the plain option.)
target_compile_definitions(descent_numeric INTERFACE XTENSOR_USE_XSIMD)
target_compile_options(descent_numeric INTERFACE "-DXTENSOR_DEFAULT_ALLOCATOR(T)=std::allocator<T>")
target_compile_options(descent_numeric INTERFACE -march=${DESCENT_ARCH})   # DESCENT_ARCH: CMakeLists.txt
