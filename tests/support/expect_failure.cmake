# Passes only when a command fails (non-zero exit) with a message matching EXPECT on stderr: for
# samples that must stop with a clear error (PASS_REGULAR_EXPRESSION alone ignores the exit code).
#   cmake -DEXPECT=<regular expression> -P expect_failure.cmake -- <program> <arguments>...
include(${CMAKE_CURRENT_LIST_DIR}/arguments_after_dashes.cmake)
execute_process(COMMAND ${arguments} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(code EQUAL 0)
  message(FATAL_ERROR "expected a failure, but it exited with 0:\n${out}${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "it failed (${code}), but its stderr does not match \"${EXPECT}\":\n${err}")
endif()
message(STATUS "failed as expected (${code}): ${err}")
