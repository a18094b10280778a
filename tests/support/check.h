/* check.h - the assertion macros of every UsChat test executable (header only: the tests that
 * need no server include it without linking uschat_test_support).
 *
 *   CHECK(cond)                 CHECK(cond, "why %d", x)
 *   CHECK_INT(got, want)        CHECK_STR(got, want)      (NULL never equals anything)
 * A failed check prints "file:line: CHECK(cond) failed[: why]" on stderr, then
 *   - by default exits 1: the first thing that went wrong ends the test, and the processes it
 *     spawned are stopped by tests/support's exit handlers. Any thread.
 *   - in a file that defines CHECK_KEEP_GOING before including this header: counts the failure
 *     in check_failures and carries on, so one run shows every failure; RUN(case) prints
 *     "ok"/"FAIL" per case and main() returns CHECK_DONE(). check_failures is one counter for
 *     all files of the executable. Main thread.
 */
#ifndef USCHAT_TEST_CHECK_H
#define USCHAT_TEST_CHECK_H

#include <inttypes.h> /* PRIu64 and friends in messages */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* weak: every file that includes this header shares the one counter */
__attribute__((weak)) int check_failures;

static inline void check_begin_(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: CHECK(%s) failed", file, line, expr);
}

static inline void check_end_(void)
{
    fputc('\n', stderr);
    check_failures++;
#ifndef CHECK_KEEP_GOING
    exit(1);
#endif
}

#define CHECK_BARE_(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            check_begin_(__FILE__, __LINE__, #cond);                                               \
            check_end_();                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_WHY_(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            check_begin_(__FILE__, __LINE__, #cond);                                               \
            fputs(": ", stderr);                                                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            check_end_();                                                                          \
        }                                                                                          \
    } while (0)

/* CHECK(cond) -> CHECK_BARE_, CHECK(cond, fmt, ...) -> CHECK_WHY_ (up to 32 arguments) */
#define CHECK_PICK_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,    \
                    a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32,     \
                    a33, name, ...)                                                                \
    name
#define CHECK(...)                                                                                 \
    CHECK_PICK_(__VA_ARGS__, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_,           \
                CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_,            \
                CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_,            \
                CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_,            \
                CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_WHY_,            \
                CHECK_WHY_, CHECK_WHY_, CHECK_WHY_, CHECK_BARE_, CHECK_BARE_)                      \
    (__VA_ARGS__)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long check_got_ = (long long)(got), check_want_ = (long long)(want);                  \
        if (check_got_ != check_want_) {                                                           \
            check_begin_(__FILE__, __LINE__, #got " == " #want);                                   \
            fprintf(stderr, ": %lld != %lld", check_got_, check_want_);                            \
            check_end_();                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *check_got_ = (got), *check_want_ = (want);                                     \
        if (!check_got_ || !check_want_ || strcmp(check_got_, check_want_) != 0) {                 \
            check_begin_(__FILE__, __LINE__, #got " == " #want);                                   \
            fprintf(stderr, ": \"%s\" != \"%s\"", check_got_ ? check_got_ : "(null)",              \
                    check_want_ ? check_want_ : "(null)");                                         \
            check_end_();                                                                          \
        }                                                                                          \
    } while (0)

#define RUN(test_fn)                                                                               \
    do {                                                                                           \
        int check_before_ = check_failures;                                                        \
        test_fn();                                                                                 \
        printf("%s %s\n", check_failures == check_before_ ? "ok  " : "FAIL", #test_fn);            \
    } while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
