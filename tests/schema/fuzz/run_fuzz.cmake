# Runs one libFuzzer target for a bounded time on a copy of its committed seed corpus, so the
# source tree is never written to. Called by CTest (tests/schema/fuzz/CMakeLists.txt) with
# -DFUZZER=<binary> -DSEEDS=<seed folder> -DWORK=<folder in the build tree>, optionally
# -DSECONDS=<run time> (30). Also used by the targets of tests/fuzz.
if(NOT SECONDS)
  set(SECONDS 30)
endif()
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -malloc_limit_mb=512 -rss_limit_mb=1024
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input is in ${WORK}/artifacts")
endif()
