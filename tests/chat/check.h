/* check.h - the assertion macro of the chat tests: prints where and why, then exits 1 (the
 * test's processes are stopped by tests/support's exit handlers). Any thread. */
#ifndef USCHAT_TEST_CHAT_CHECK_H
#define USCHAT_TEST_CHAT_CHECK_H

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
