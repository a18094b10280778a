/* printf_attr.h - USCHAT_PRINTF(FMT, ARGS): the compiler checks a printf-like function's
 * format string against its arguments. On mingw-w64 (the Windows client) the check follows
 * the C99 printf that __USE_MINGW_ANSI_STDIO selects (%zu, %lld), not msvcrt's. Any thread.
 */
#ifndef USCHAT_PRINTF_ATTR_H
#define USCHAT_PRINTF_ATTR_H

#include <stdio.h> /* _mingw.h: __MINGW_PRINTF_FORMAT */

#ifdef __MINGW_PRINTF_FORMAT
#define USCHAT_PRINTF(fmt, args) __attribute__((format(__MINGW_PRINTF_FORMAT, fmt, args)))
#else
#define USCHAT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

#endif
