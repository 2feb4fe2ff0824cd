# A sample that trains and --save's a model, then --load's it with --epochs 0 (evaluation only):
# both runs must end with the same test_accuracy=<a>. Prints the sample's own message, and stops,
# when it cannot run (e.g. the dataset is missing), for the test's SKIP_REGULAR_EXPRESSION.
#   cmake -DPROGRAM=<program> -DMODEL=<file.npz> [-DTRAIN_LAUNCHER="mpirun -np 2"] -P save_load_round_trip.cmake -- <arguments>...
# TRAIN_LAUNCHER starts the training run (e.g. on several MPI ranks: rank 0 saves what they evaluated);
# the evaluation runs alone.
include(${CMAKE_CURRENT_LIST_DIR}/arguments_after_dashes.cmake)
separate_arguments(train_launcher UNIX_COMMAND "${TRAIN_LAUNCHER}")
function(final_accuracy out launcher)
  execute_process(COMMAND ${launcher} ${PROGRAM} ${arguments} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE stdout
                  ERROR_VARIABLE stderr)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} ${ARGN} failed (${code}):\n${stderr}")
  endif()
  if(NOT stdout MATCHES "test_accuracy=([0-9.]+) epochs=")
    message(FATAL_ERROR "${PROGRAM} ${ARGN} printed no test_accuracy=:\n${stdout}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()
file(REMOVE ${MODEL})
final_accuracy(trained "${train_launcher}" --save ${MODEL})
final_accuracy(loaded "" --load ${MODEL} --epochs 0)
if(NOT trained STREQUAL loaded)
  message(FATAL_ERROR "the saved model gave test_accuracy=${trained}, loaded again ${loaded}")
endif()
message(STATUS "round_trip: test_accuracy=${trained} trained and loaded")
