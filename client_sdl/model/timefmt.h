/* timefmt.h - the server's UTC times ("YYYY-MM-DD HH:MM:SS", docs/protocol.md) shown as a user
 * expects them: local clock time on a bubble, "Yesterday"/weekday/date in the chat list and on
 * the day separators of a conversation.
 *
 * Pure functions over the C library's local time zone (TZ); any thread.
 */
#ifndef USCHAT_SDL_TIMEFMT_H
#define USCHAT_SDL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since 1970 (UTC) of S; 0 with *out set, -1 when S is not that format. */
int timefmt_parse_utc(const char *s, int64_t *out);
/* Now as "YYYY-MM-DD HH:MM:SS" UTC (OUT >= 20 bytes). */
void timefmt_now_utc(char *out, size_t cap);
/* Now, seconds since 1970. */
int64_t timefmt_now(void);
/* "14:05" local (OUT >= 6 bytes). */
void timefmt_clock(int64_t t, char *out, size_t cap);
/* Chat list: "14:05" today, "Yesterday", "Mon" within a week, else "2024-03-01". */
void timefmt_list(int64_t t, int64_t now, char *out, size_t cap);
/* Day separator: "Today", "Yesterday", else "Mon 2024-06-03". */
void timefmt_day(int64_t t, int64_t now, char *out, size_t cap);
/* The end of something that lasts (a mute): "14:05" today, "tomorrow 09:00", "Tue 09:00"
 * within a week, else "2027-01-05 09:00" (OUT >= 24 bytes). */
void timefmt_until(int64_t t, int64_t now, char *out, size_t cap);
/* Local calendar day number of T (days since 1970 in local time): equal for the same day. */
int64_t timefmt_local_day(int64_t t);

#endif
