# A sample that trains and --save's a model, then --load's it with --epochs 0 (evaluation only):
# both runs must end with the same <METRIC>=<value> (METRIC: test_accuracy unless given). Prints the sample's own message, and stops,
# when it cannot run (e.g. the dataset is missing), for the test's SKIP_REGULAR_EXPRESSION.
#   cmake -DPROGRAM=<program> -DMODEL=<file.npz> [-DMETRIC=val_bpc] [-DTRAIN_LAUNCHER="mpirun -np 2"] -P save_load_round_trip.cmake -- <arguments>...
# TRAIN_LAUNCHER starts the training run (e.g. on several MPI ranks: rank 0 saves what they evaluated);
# the evaluation runs alone.
include(${CMAKE_CURRENT_LIST_DIR}/arguments_after_dashes.cmake)
separate_arguments(train_launcher UNIX_COMMAND "${TRAIN_LAUNCHER}")
if(NOT METRIC)
  set(METRIC test_accuracy)
endif()
function(final_accuracy out launcher)
  execute_process(COMMAND ${launcher} ${PROGRAM} ${arguments} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE stdout
                  ERROR_VARIABLE stderr)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} ${ARGN} failed (${code}):\n${stderr}")
  endif()
  if(NOT stdout MATCHES "${METRIC}=([0-9.]+)[ \n]")
    message(FATAL_ERROR "${PROGRAM} ${ARGN} printed no ${METRIC}=:\n${stdout}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()
file(REMOVE ${MODEL})
final_accuracy(trained "${train_launcher}" --save ${MODEL})
final_accuracy(loaded "" --load ${MODEL} --epochs 0)
if(NOT trained STREQUAL loaded)
  message(FATAL_ERROR "the saved model gave ${METRIC}=${trained}, loaded again ${loaded}")
endif()
message(STATUS "round_trip: ${METRIC}=${trained} trained and loaded")
