/* monitor_stats.c - the live table of uschat-monitor --stats.
 *
 * Called from the monitor's main thread: monitor_stats_observe/count for every tap message,
 * monitor_stats_render once a second. Rates are the counts of the last interval divided by its
 * real length, so a late tick does not inflate them. Rows live in small arrays searched
 * linearly: there are tens of message types and nodes, not thousands.
 */
#include "monitor_stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "monitor_actors.h"

#define ROW_NAME_MAX 72
#define ROWS_SHOWN   20 /* per table; the rest is summed in one "(others)" line */

typedef struct {
    char name[ROW_NAME_MAX];
    uint64_t msgs, bytes;             /* this interval */
    uint64_t total_msgs, total_bytes; /* since start */
    double msg_rate, byte_rate;       /* of the last finished interval */
} stats_row_t;

typedef struct {
    stats_row_t *rows;
    size_t count, cap;
} stats_table_t;

struct monitor_stats_t {
    stats_table_t types;
    stats_table_t nodes;
    monitor_actors_t *actors;
    uint64_t interval_start_us;
    uint64_t start_us;
    uint64_t unroutable;
    uint64_t total_msgs;
};

monitor_stats_t *monitor_stats_new(uint64_t now_us)
{
    monitor_stats_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->actors = monitor_actors_new();
    if (!self->actors) {
        free(self);
        return NULL;
    }
    self->interval_start_us = now_us;
    self->start_us = now_us;
    return self;
}

void monitor_stats_destroy(monitor_stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    monitor_stats_t *self = *self_p;
    free(self->types.rows);
    free(self->nodes.rows);
    monitor_actors_destroy(&self->actors);
    free(self);
    *self_p = NULL;
}

static stats_row_t *s_row(stats_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->rows[i].name, name) == 0)
            return &t->rows[i];
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        stats_row_t *grown = realloc(t->rows, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        t->rows = grown;
        t->cap = cap;
    }
    stats_row_t *row = &t->rows[t->count++];
    memset(row, 0, sizeof(*row));
    snprintf(row->name, sizeof(row->name), "%s", name);
    return row;
}

static void s_add(stats_table_t *t, const char *name, uint64_t bytes)
{
    stats_row_t *row = s_row(t, name);
    if (!row)
        return;
    row->msgs++;
    row->bytes += bytes;
    row->total_msgs++;
    row->total_bytes += bytes;
}

void monitor_stats_observe(monitor_stats_t *self, const tap_item_t *item)
{
    monitor_actors_update(self->actors, item);
    if (item->is_event && strcmp(item->rec.event, "unroutable") == 0)
        self->unroutable++;
    else if (!item->is_event && item->has_env && item->env.kind == ENVELOPE_ERROR)
        self->unroutable++;
}

void monitor_stats_count(monitor_stats_t *self, const tap_item_t *item)
{
    if (item->is_event || !item->has_env)
        return;
    char name[ROW_NAME_MAX], type[32];
    if (item->env.type == 0) {
        /* control messages: "[heartbeat]", "[ready]" */
        const char *kind = envelope_kind_name(item->env.kind);
        size_t i = 0;
        name[i++] = '[';
        for (; kind[i - 1] && i < sizeof(name) - 2; i++)
            name[i] =
                (char)(kind[i - 1] >= 'A' && kind[i - 1] <= 'Z' ? kind[i - 1] + 32 : kind[i - 1]);
        name[i++] = ']';
        name[i] = '\0';
    } else {
        snprintf(name, sizeof(name), "%s", monitor_type_name(item->env.type, type, sizeof(type)));
    }
    s_add(&self->types, name, item->rec.size);
    s_add(&self->nodes, *item->rec.from_node ? item->rec.from_node : "?", item->rec.size);
    self->total_msgs++;
}

static void s_close_interval(stats_table_t *t, double seconds)
{
    for (size_t i = 0; i < t->count; i++) {
        t->rows[i].msg_rate = (double)t->rows[i].msgs / seconds;
        t->rows[i].byte_rate = (double)t->rows[i].bytes / seconds;
        t->rows[i].msgs = 0;
        t->rows[i].bytes = 0;
    }
}

static int s_by_rate(const void *a, const void *b)
{
    const stats_row_t *x = a, *y = b;
    if (x->msg_rate != y->msg_rate)
        return x->msg_rate < y->msg_rate ? 1 : -1;
    if (x->total_msgs != y->total_msgs)
        return x->total_msgs < y->total_msgs ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void s_human_bytes(double value, char *buf, size_t cap)
{
    if (value >= 1024.0 * 1024.0)
        snprintf(buf, cap, "%.1fM", value / (1024.0 * 1024.0));
    else if (value >= 1024.0)
        snprintf(buf, cap, "%.1fk", value / 1024.0);
    else
        snprintf(buf, cap, "%.0f", value);
}

static void s_print_table(FILE *out, const char *title, stats_table_t *t)
{
    qsort(t->rows, t->count, sizeof(*t->rows), s_by_rate);
    fprintf(out, "%-28s %10s %10s %12s %10s\n", title, "msg/s", "bytes/s", "total msgs", "total B");
    double other_msgs = 0, other_bytes = 0;
    uint64_t other_total = 0, other_total_bytes = 0;
    for (size_t i = 0; i < t->count; i++) {
        stats_row_t *row = &t->rows[i];
        if (i >= ROWS_SHOWN) {
            other_msgs += row->msg_rate;
            other_bytes += row->byte_rate;
            other_total += row->total_msgs;
            other_total_bytes += row->total_bytes;
            continue;
        }
        char rate[16], total[16];
        s_human_bytes(row->byte_rate, rate, sizeof(rate));
        s_human_bytes((double)row->total_bytes, total, sizeof(total));
        fprintf(out, "  %-26.26s %10.1f %10s %12" PRIu64 " %10s\n", row->name, row->msg_rate, rate,
                row->total_msgs, total);
    }
    if (t->count > ROWS_SHOWN) {
        char rate[16], total[16];
        s_human_bytes(other_bytes, rate, sizeof(rate));
        s_human_bytes((double)other_total_bytes, total, sizeof(total));
        fprintf(out, "  %-26s %10.1f %10s %12" PRIu64 " %10s\n", "(others)", other_msgs, rate,
                other_total, total);
    }
    if (t->count == 0)
        fprintf(out, "  (none yet)\n");
}

int monitor_stats_render(monitor_stats_t *self, FILE *out, uint64_t now_us, bool tty,
                         const char *tap_state)
{
    double seconds = (double)(now_us - self->interval_start_us) / 1e6;
    if (seconds < 0.001)
        seconds = 0.001;
    s_close_interval(&self->types, seconds);
    s_close_interval(&self->nodes, seconds);
    self->interval_start_us = now_us;
    /* three missed one-second heartbeats and a margin: an expiry event we did not see */
    monitor_actors_expire(self->actors, now_us, 10u * 1000000u);

    if (tty)
        fputs("\033[H\033[2J", out);
    fprintf(out,
            "uschat-monitor --stats  %s  up %" PRIu64 "s  msgs %" PRIu64 "  unroutable %" PRIu64
            "\n\n",
            tap_state, (now_us - self->start_us) / 1000000u, self->total_msgs, self->unroutable);
    s_print_table(out, "TYPE", &self->types);
    fputc('\n', out);
    s_print_table(out, "NODE (sender)", &self->nodes);
    fputc('\n', out);

    size_t count = 0;
    const monitor_actor_t *actors = monitor_actors_list(self->actors, &count);
    fprintf(out, "%-28s %-10s %8s %10s %12s\n", "LIVE ACTORS", "service", "load", "uptime",
            "last beat");
    for (size_t i = 0; i < count; i++) {
        const monitor_actor_t *a = &actors[i];
        char uptime[24] = "?", beat[24] = "-";
        if (a->ready_us && a->ready_us <= now_us)
            snprintf(uptime, sizeof(uptime), "%" PRIu64 "s", (now_us - a->ready_us) / 1000000u);
        if (a->last_heartbeat_us && a->last_heartbeat_us <= now_us)
            snprintf(beat, sizeof(beat), "%.1fs ago",
                     (double)(now_us - a->last_heartbeat_us) / 1e6);
        fprintf(out, "  %-26.26s %-10.10s %8" PRIu32 " %10s %12s\n", a->node, a->service, a->load,
                uptime, beat);
    }
    if (count == 0)
        fprintf(out, "  (none seen yet)\n");
    if (!tty)
        fputc('\n', out);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
