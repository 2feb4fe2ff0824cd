# libFuzzer targets for the file readers (tests/fuzz, run with tests/fuzz/run.sh). With
# DESCENT_FUZZ=ON everything (library and targets) is built with AddressSanitizer and
# UndefinedBehaviorSanitizer, UB fatal; the library gets libFuzzer's coverage instrumentation
# (fuzzer-no-link) and each target links libFuzzer's main (tests/fuzz/CMakeLists.txt).
option(DESCENT_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

if(DESCENT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "DESCENT_FUZZ needs clang (libFuzzer), got C compiler ${CMAKE_C_COMPILER_ID} and C++ "
                        "compiler ${CMAKE_CXX_COMPILER_ID}: configure with CC=clang CXX=clang++ in a fresh build "
                        "directory (Debian: apt-get install clang libclang-rt-14-dev)")
  endif()
  if(DESCENT_SANITIZE)
    message(FATAL_ERROR "DESCENT_FUZZ brings its own sanitizers (address,undefined): leave DESCENT_SANITIZE empty")
  endif()
  set(DESCENT_FUZZ_SANITIZERS fuzzer-no-link,address,undefined)   # tests/CMakeLists.txt may take them off
  add_compile_options(-fsanitize=${DESCENT_FUZZ_SANITIZERS} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
