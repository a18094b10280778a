/* test_chat_units.c - the chat node's data structures on their own, no servers: the send
 * queue (bounded bytes, partial writes through a real socket pair), the timer wheel (deadlines
 * beyond its span, removal during a tick), the uid map (growth, removal keeps every other
 * key reachable), the JSON text buffer (every string a message can hold comes back
 * unchanged through a JSON parser) and the cache of where peers were last found. Run by CTest as
 * `test_chat_units CASE`. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <stdio.h>

#include "chat_buf.h"
#include "chat_seen.h"
#include "chat_sendq.h"
#include "chat_umap.h"
#include "chat_wheel.h"
#include "check.h"

static void s_sendq(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    chat_sendq_t q;
    chat_sendq_init(&q);
    CHECK(chat_sendq_memory(&q) == 0, "an empty queue holds no memory");
    CHECK(chat_sendq_flush(&q, sv[0]) == 0, "flushing nothing");
    /* 1 MB in pieces of odd sizes, a byte pattern we can check on the other side. */
    uint8_t piece[3001];
    size_t total = 0;
    uint8_t next = 0;
    while (total < 1000000) {
        for (size_t i = 0; i < sizeof piece; i++)
            piece[i] = next++;
        CHECK(chat_sendq_append(&q, piece, sizeof piece) == 0, "append");
        total += sizeof piece;
    }
    CHECK(chat_sendq_bytes(&q) == total, "bytes %zu", chat_sendq_bytes(&q));
    CHECK(chat_sendq_memory(&q) >= total, "memory covers the bytes");
    size_t got = 0;
    uint8_t expect = 0;
    uint8_t buf[65536];
    int rounds = 0;
    while (got < total) {
        int rc = chat_sendq_flush(&q, sv[0]);
        CHECK(rc >= 0, "flush: %d", rc);
        CHECK(chat_sendq_bytes(&q) + got <= total, "bytes only go down");
        ssize_t n;
        while ((n = read(sv[1], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                CHECK(buf[i] == expect++, "byte %zu in order", got + (size_t)i);
            got += (size_t)n;
        }
        CHECK(++rounds < 100000, "progress");
    }
    CHECK(chat_sendq_bytes(&q) == 0 && chat_sendq_memory(&q) == 0,
          "a drained queue frees its blocks");
    /* clear frees what is left */
    CHECK(chat_sendq_append(&q, piece, 100) == 0, "append");
    chat_sendq_clear(&q);
    CHECK(chat_sendq_bytes(&q) == 0 && chat_sendq_memory(&q) == 0, "cleared");
    /* a closed peer is an error, not a signal */
    CHECK(chat_sendq_append(&q, piece, 100) == 0, "append");
    close(sv[1]);
    CHECK(chat_sendq_flush(&q, sv[0]) < 0, "write to a closed peer fails");
    chat_sendq_clear(&q);
    close(sv[0]);
}

typedef struct {
    chat_timer_t timer;
    uint32_t deadline;
    int fired;
    uint32_t fired_at;
} s_item_t;

typedef struct {
    chat_wheel_t *wheel;
    s_item_t *items;
    int remove_next; /* when >= 0: the callback removes this item */
} s_ctx_t;

static void s_on_timer(chat_timer_t *t, uint32_t now, void *arg)
{
    s_ctx_t *ctx = arg;
    s_item_t *item = (s_item_t *)t;
    if (item->deadline > now) { /* parked at the end of the span: put it back */
        chat_wheel_add(ctx->wheel, t, item->deadline);
        return;
    }
    item->fired++;
    item->fired_at = now;
    if (ctx->remove_next >= 0) {
        chat_wheel_remove(ctx->wheel, &ctx->items[ctx->remove_next].timer);
        ctx->remove_next = -1;
    }
}

static void s_wheel(void)
{
    chat_wheel_t w;
    chat_wheel_init(&w, 1);
    s_item_t items[300];
    memset(items, 0, sizeof items);
    s_ctx_t ctx = {&w, items, -1};
    for (int i = 0; i < 300; i++) {
        items[i].deadline = 1 + 1 + (uint32_t)i; /* 2 .. 301, far past the 63 s span */
        chat_wheel_add(&w, &items[i].timer, items[i].deadline);
    }
    CHECK(w.count == 300, "count %u", w.count);
    /* a callback may remove another entry (item 6, from inside item 5's callback) */
    chat_wheel_remove(&w, &items[10].timer);
    CHECK(!chat_wheel_active(&items[10].timer), "removed");
    chat_wheel_remove(&w, &items[10].timer); /* twice is harmless */
    for (uint32_t now = 2; now <= 310; now++) {
        if (now == items[5].deadline)
            ctx.remove_next = 6;
        chat_wheel_advance(&w, now, s_on_timer, &ctx);
    }
    for (int i = 0; i < 300; i++) {
        if (i == 10 || i == 6) {
            CHECK(items[i].fired == 0, "removed item %d never fires", i);
            continue;
        }
        CHECK(items[i].fired == 1, "item %d fired %d times", i, items[i].fired);
        CHECK(items[i].fired_at == items[i].deadline, "item %d at %u, due %u", i, items[i].fired_at,
              items[i].deadline);
    }
    CHECK(w.count == 0, "empty at the end: %u", w.count);
    /* a long stall: everything due fires in one advance */
    chat_wheel_add(&w, &items[0].timer, 320);
    items[0].deadline = 320;
    items[0].fired = 0;
    chat_wheel_advance(&w, 5000, s_on_timer, &ctx);
    CHECK(items[0].fired == 1, "fired after a stall");
}

static void s_umap(void)
{
    chat_umap_t m;
    chat_umap_init(&m);
    CHECK(chat_umap_get(&m, 1) == NULL, "empty");
    CHECK(chat_umap_put(&m, 0, &m) < 0, "key 0 refused");
    static int values[20000];
    for (uint64_t k = 1; k <= 20000; k++)
        CHECK(chat_umap_put(&m, k * 7, &values[k - 1]) == 0, "put %llu", (unsigned long long)k);
    CHECK(m.count == 20000, "count %zu", m.count);
    /* remove every third key; every other one must stay reachable (backward shift) */
    for (uint64_t k = 1; k <= 20000; k += 3)
        CHECK(chat_umap_remove(&m, k * 7) == &values[k - 1], "remove %llu", (unsigned long long)k);
    for (uint64_t k = 1; k <= 20000; k++) {
        void *v = chat_umap_get(&m, k * 7);
        if ((k - 1) % 3 == 0)
            CHECK(v == NULL, "removed %llu gone", (unsigned long long)k);
        else
            CHECK(v == &values[k - 1], "kept %llu", (unsigned long long)k);
    }
    CHECK(chat_umap_remove(&m, 999999999) == NULL, "absent key");
    CHECK(chat_umap_put(&m, 14, &values[0]) == 0 && chat_umap_get(&m, 14) == &values[0], "replace");
    chat_umap_clear(&m);
    CHECK(chat_umap_get(&m, 14) == NULL, "cleared");
}

/* One string through chat_buf_json_str and back through jansson. */
static void s_json_roundtrip(const char *s, size_t len)
{
    chat_buf_t b = {0};
    chat_buf_str(&b, "{\"k\":");
    chat_buf_json_str(&b, s, len);
    chat_buf_char(&b, '}');
    CHECK(!chat_buf_failed(&b), "buffer");
    json_error_t err;
    json_t *obj = json_loadb(b.data, b.len, 0, &err);
    CHECK(obj, "not JSON: %s (%s)", b.data, err.text);
    json_t *v = json_object_get(obj, "k");
    CHECK(json_string_length(v) == len && memcmp(json_string_value(v), s, len) == 0,
          "%s does not come back", b.data);
    json_decref(obj);
    chat_buf_free(&b);
}

static void s_buf(void)
{
    s_json_roundtrip("", 0);
    s_json_roundtrip("plain", 5);
    const char tricky[] = "\"quoted\" back\\slash / \n\r\t\b\f \x01\x1f\x7f 你好 🙂";
    s_json_roundtrip(tricky, sizeof tricky - 1);
    char every[128]; /* every ASCII byte but NUL (content never holds NUL) */
    for (int i = 1; i < 128; i++)
        every[i - 1] = (char)i;
    s_json_roundtrip(every, 127);
    char big[4096 * 6]; /* the worst case: every byte escaped as \u00XX */
    memset(big, 1, sizeof big);
    s_json_roundtrip(big, sizeof big);
    chat_buf_t b = {0};
    for (int i = 0; i < 10000; i++)
        chat_buf_i64(&b, i % 2 ? -(int64_t)i : (int64_t)INT64_MAX);
    CHECK(!chat_buf_failed(&b) && b.len == strlen(b.data), "numbers");
    CHECK(strncmp(b.data, "9223372036854775807-1", 21) == 0, "%.21s", b.data);
    char *copy = chat_buf_dup(&b);
    CHECK(copy && strcmp(copy, b.data) == 0, "dup");
    free(copy);
    chat_buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == 0, "reset");
    chat_buf_free(&b);
    chat_buf_free(&b); /* twice: harmless */
}

/* The last node each peer was found on: found, replaced, forgotten when found offline, and a
 * slot shared by two uids answers only for the one noted last. */
static void s_seen(void)
{
    chat_seen_t *seen = chat_seen_new();
    CHECK(seen, "memory");
    char node[ENVELOPE_NODE_MAX];
    uint64_t session = 0;
    CHECK(!chat_seen_get(seen, 7, node, &session), "nothing known at first");
    chat_seen_put(seen, 0, "node1", 1);
    CHECK(!chat_seen_get(seen, 0, node, &session), "uid 0 is never known");
    for (uint64_t uid = 1; uid <= 500; uid++)
        chat_seen_put(seen, uid, uid % 2 ? "node1" : "node2", uid * 10);
    int known = 0;
    for (uint64_t uid = 1; uid <= 500; uid++) {
        if (!chat_seen_get(seen, uid, node, &session))
            continue;
        known++;
        CHECK(strcmp(node, uid % 2 ? "node1" : "node2") == 0 && session == uid * 10,
              "uid %llu: %s/%llu", (unsigned long long)uid, node, (unsigned long long)session);
    }
    CHECK(known > 400, "only %d of 500 consecutive uids kept in %d slots", known, CHAT_SEEN_SLOTS);
    chat_seen_put(seen, 7, "node3", 71);
    CHECK(chat_seen_get(seen, 7, node, &session) && strcmp(node, "node3") == 0 && session == 71,
          "moved to node3");
    chat_seen_put(seen, 7, "", 0);
    CHECK(!chat_seen_get(seen, 7, node, &session), "found offline: forgotten");
    /* two uids in one slot: the one noted last answers, the other is not known */
    uint64_t other = 8;
    while (other < 1000000) {
        chat_seen_put(seen, 7, "node1", 1);
        chat_seen_put(seen, other, "node2", 2);
        if (!chat_seen_get(seen, 7, node, &session))
            break;
        other++;
    }
    CHECK(other < 1000000, "no uid shares a slot with 7");
    CHECK(chat_seen_get(seen, other, node, &session) && strcmp(node, "node2") == 0, "the later");
    chat_seen_put(seen, 7, "", 0); /* forgetting 7 leaves the slot's owner alone */
    CHECK(chat_seen_get(seen, other, node, &session), "the slot's owner stays");
    chat_seen_destroy(&seen);
    chat_seen_destroy(&seen); /* twice: harmless */
    CHECK(seen == NULL, "destroy clears the pointer");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    bool all = strcmp(which, "all") == 0;
    if (all || strcmp(which, "sendq") == 0)
        s_sendq();
    if (all || strcmp(which, "wheel") == 0)
        s_wheel();
    if (all || strcmp(which, "umap") == 0)
        s_umap();
    if (all || strcmp(which, "buf") == 0)
        s_buf();
    if (all || strcmp(which, "seen") == 0)
        s_seen();
    printf("ok %s\n", which);
    return 0;
}
