/* check.h - the assertion macro of the runtime tests: prints where and why, then exits 1.
 * Used from any thread of a test executable (exit() ends the whole test, which is the point). */
#ifndef USCHAT_TEST_RUNTIME_CHECK_H
#define USCHAT_TEST_RUNTIME_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
