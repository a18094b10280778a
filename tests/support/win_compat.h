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
#include <io.h>
#include <stdlib.h>
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

static inline char *win_compat_mkdtemp(char *tmpl)
{
    return _mktemp(tmpl) && _mkdir(tmpl) == 0 ? tmpl : NULL;
}

#define setenv(name, value, overwrite) win_compat_setenv(name, value, overwrite)
#define unsetenv(name)                 win_compat_unsetenv(name)
#define mkdtemp(tmpl)                  win_compat_mkdtemp(tmpl)
#define mkdir(path, mode)              _mkdir(path)

#endif
#endif
