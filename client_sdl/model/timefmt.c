/* timefmt.c - UTC strings from the server to local times on screen (timefmt.h). Any thread:
 * localtime_r / localtime_s, never the shared localtime() buffer. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): no
 * timegm(), which Windows lacks. */
static int64_t s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int timefmt_parse_utc(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || h < 0 || mi < 0 ||
        se < 0)
        return -1;
    *out = s_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

static void s_local(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
#ifdef _WIN32
    localtime_s(tm, &tt);
#else
    localtime_r(&tt, tm);
#endif
}

void timefmt_now_utc(char *out, size_t cap)
{
    time_t tt = time(NULL);
    struct tm tm;
#ifdef _WIN32
    gmtime_s(&tm, &tt);
#else
    gmtime_r(&tt, &tm);
#endif
    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

int64_t timefmt_now(void)
{
    return (int64_t)time(NULL);
}

void timefmt_clock(int64_t t, char *out, size_t cap)
{
    struct tm tm;
    s_local(t, &tm);
    snprintf(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

int64_t timefmt_local_day(int64_t t)
{
    struct tm tm;
    s_local(t, &tm);
    return s_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

static const char *const s_wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

void timefmt_list(int64_t t, int64_t now, char *out, size_t cap)
{
    int64_t days = timefmt_local_day(now) - timefmt_local_day(t);
    struct tm tm;
    s_local(t, &tm);
    if (days <= 0)
        snprintf(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
    else if (days == 1)
        snprintf(out, cap, "Yesterday");
    else if (days < 7)
        snprintf(out, cap, "%s", s_wday[tm.tm_wday % 7]);
    else
        snprintf(out, cap, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void timefmt_day(int64_t t, int64_t now, char *out, size_t cap)
{
    int64_t days = timefmt_local_day(now) - timefmt_local_day(t);
    struct tm tm;
    s_local(t, &tm);
    if (days == 0)
        snprintf(out, cap, "Today");
    else if (days == 1)
        snprintf(out, cap, "Yesterday");
    else
        snprintf(out, cap, "%s %04d-%02d-%02d", s_wday[tm.tm_wday % 7], tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
}

void timefmt_until(int64_t t, int64_t now, char *out, size_t cap)
{
    int64_t days = timefmt_local_day(t) - timefmt_local_day(now);
    struct tm tm;
    s_local(t, &tm);
    if (days <= 0)
        snprintf(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
    else if (days == 1)
        snprintf(out, cap, "tomorrow %02d:%02d", tm.tm_hour, tm.tm_min);
    else if (days < 7)
        snprintf(out, cap, "%s %02d:%02d", s_wday[tm.tm_wday % 7], tm.tm_hour, tm.tm_min);
    else
        snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min);
}
