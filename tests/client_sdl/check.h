/* check.h - assertions of the desktop client's tests: print where and what, then exit 1.
 * Any thread (the UI tests call them from the main thread only). */
#ifndef USCHAT_TEST_CLIENT_SDL_CHECK_H
#define USCHAT_TEST_CLIENT_SDL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        CHECK(g_ == w_, "%s is %lld, expected %lld", #got, g_, w_);                                \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK(g_ &&strcmp(g_, w_) == 0, "%s is \"%s\", expected \"%s\"", #got, g_ ? g_ : "(null)", \
              w_);                                                                                 \
    } while (0)

#endif
