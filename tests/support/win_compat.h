/* win_compat.h - the few POSIX calls the client's tests use, on Windows (mingw-w64, the
 * tests run under wine): setenv/unsetenv, mkdir with a mode, mkdtemp, gmtime_r/localtime_r.
 * Force-included (-include) into the client's tests when built for Windows, so the tests
 * themselves keep the POSIX names. Any thread (setenv is not thread-safe there either).
 */
#ifndef USCHAT_WIN_COMPAT_H
#define USCHAT_WIN_COMPAT_H
#ifdef _WIN32

#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS 200112L /* mingw's time.h: gmtime_r, localtime_r */
#endif
#include <direct.h>
#include <errno.h>
#include <process.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static inline int win_compat_setenv(const char *name, const char *value, int overwrite)
{
    if (!overwrite && getenv(name))
        return 0;
    return _putenv_s(name, value) == 0 ? 0 : -1;
}

/* An empty value removes the variable on Windows. */
static inline int win_compat_unsetenv(const char *name)
{
    return _putenv_s(name, "") == 0 ? 0 : -1;
}

/* Not _mktemp: its names are the process id and one letter, and under wine a test process
 * can get the id of an earlier one whose folder is still there, so every try could fail. The
 * six X's get a name of their own here, tried until one is free. */
static inline char *win_compat_mkdtemp(char *tmpl)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned seq;
    size_t len = strlen(tmpl);
    if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0)
        return NULL;
    for (int tries = 0; tries < 1000; tries++) {
        unsigned v = (unsigned)_getpid() * 2654435761u ^ (unsigned)clock() * 40503u ^
                     (unsigned)time(NULL) ^ ++seq * 2246822519u;
        for (int i = 0; i < 6; i++, v /= 36)
            tmpl[len - 6 + i] = set[v % 36];
        if (_mkdir(tmpl) == 0)
            return tmpl;
        if (errno != EEXIST)
            return NULL;
    }
    return NULL;
}

#define setenv(name, value, overwrite) win_compat_setenv(name, value, overwrite)
#define unsetenv(name)                 win_compat_unsetenv(name)
#define mkdtemp(tmpl)                  win_compat_mkdtemp(tmpl)
#define mkdir(path, mode)              _mkdir(path)

#endif
#endif
