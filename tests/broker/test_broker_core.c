/* test_broker_core.c - the broker's routing state on its own (broker/broker_core.h): who is
 * registered, who gets the next message of a service, who expires when.
 *
 * Run by CTest as broker.core; single-threaded, no sockets, the clock is a number we choose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_core.h"

static int s_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            s_failures++;                                                                          \
        }                                                                                          \
    } while (0)

static broker_actor_t *s_add(broker_core_t *core, uint32_t id, const char *service,
                             const char *node, uint32_t load, int64_t now)
{
    uint8_t identity[5] = {0};
    memcpy(identity + 1, &id, 4);
    return broker_core_add(core, identity, sizeof(identity), service, node, load, now);
}

static broker_actor_t *s_find(broker_core_t *core, uint32_t id)
{
    uint8_t identity[5] = {0};
    memcpy(identity + 1, &id, 4);
    return broker_core_find_identity(core, identity, sizeof(identity));
}

static void test_register_and_find(void)
{
    broker_core_t *core = broker_core_new(1000, 3);
    CHECK(core);
    broker_actor_t *a = s_add(core, 1, "echo", "echo.a", 0, 0);
    CHECK(a);
    CHECK(s_find(core, 1) == a);
    CHECK(broker_core_find_node(core, "echo.a") == a);
    CHECK(broker_core_find_node(core, "echo.b") == NULL);
    /* the same identity or node twice is refused: the caller removes the old one first */
    CHECK(s_add(core, 1, "echo", "echo.b", 0, 0) == NULL);
    CHECK(s_add(core, 2, "echo", "echo.a", 0, 0) == NULL);
    /* names must fit and not be empty */
    CHECK(s_add(core, 3, "", "x", 0, 0) == NULL);
    CHECK(s_add(core, 3, "echo", "", 0, 0) == NULL);
    char long_name[ENVELOPE_SERVICE_MAX + 1];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    CHECK(s_add(core, 3, long_name, "x", 0, 0) == NULL);
    CHECK(broker_core_size(core) == 1);
    broker_core_remove(core, a);
    CHECK(s_find(core, 1) == NULL);
    CHECK(broker_core_find_node(core, "echo.a") == NULL);
    CHECK(broker_core_service_size(core, "echo") == 0);
    CHECK(broker_core_pick(core, "echo") == NULL);
    broker_core_destroy(&core);
    CHECK(core == NULL);
    broker_core_destroy(&core); /* NULL-safe */
}

static void test_many_actors(void)
{
    /* enough to grow every table several times, then remove every other one */
    broker_core_t *core = broker_core_new(1000, 3);
    enum { N = 5000 };
    char node[32], service[32];
    for (uint32_t i = 0; i < N; i++) {
        snprintf(node, sizeof(node), "n%u", i);
        snprintf(service, sizeof(service), "s%u", i % 37);
        CHECK(s_add(core, i, service, node, i, i) != NULL);
    }
    CHECK(broker_core_size(core) == N);
    for (uint32_t i = 0; i < N; i += 2)
        broker_core_remove(core, s_find(core, i));
    CHECK(broker_core_size(core) == N / 2);
    for (uint32_t i = 0; i < N; i++) {
        snprintf(node, sizeof(node), "n%u", i);
        broker_actor_t *a = broker_core_find_node(core, node);
        CHECK((i % 2 == 0) == (a == NULL));
        CHECK(s_find(core, i) == a);
    }
    /* re-adding reuses recycled actors */
    for (uint32_t i = 0; i < N; i += 2) {
        snprintf(node, sizeof(node), "n%u", i);
        CHECK(s_add(core, i, "again", node, 0, N) != NULL);
    }
    CHECK(broker_core_service_size(core, "again") == N / 2);
    broker_core_destroy(&core);
}

static void test_least_loaded_then_turns(void)
{
    broker_core_t *core = broker_core_new(1000, 3);
    broker_actor_t *a = s_add(core, 1, "chat", "chat.1", 10, 0);
    broker_actor_t *b = s_add(core, 2, "chat", "chat.2", 0, 0);
    broker_actor_t *c = s_add(core, 3, "chat", "chat.3", 0, 0);
    s_add(core, 4, "other", "other.1", 0, 0);
    /* b and c (load 0) share the first 20 picks in turn; a (load 10) joins once they reach 10 */
    int count_a = 0, count_b = 0, count_c = 0;
    broker_actor_t *previous = NULL;
    for (int i = 0; i < 20; i++) {
        broker_actor_t *p = broker_core_pick(core, "chat");
        CHECK(p == b || p == c);
        CHECK(p != previous); /* ties alternate */
        previous = p;
        count_b += p == b;
        count_c += p == c;
    }
    CHECK(count_b == 10 && count_c == 10);
    for (int i = 0; i < 30; i++) {
        broker_actor_t *p = broker_core_pick(core, "chat");
        count_a += p == a;
        count_b += p == b;
        count_c += p == c;
    }
    CHECK(count_a == 10 && count_b == 20 && count_c == 20);
    /* a report resets what was routed since the last one */
    broker_core_report(core, a, 0);
    broker_core_report(core, b, 100);
    broker_core_report(core, c, 100);
    CHECK(broker_core_pick(core, "chat") == a);
    /* a full queue makes an instance look busy until it reports again */
    broker_core_report(core, b, 0);
    broker_core_report(core, c, 0);
    broker_core_report(core, a, 0);
    broker_core_penalize(core, a);
    for (int i = 0; i < 10; i++)
        CHECK(broker_core_pick(core, "chat") != a);
    CHECK(broker_core_pick(core, "nobody") == NULL);
    /* removal keeps the others pickable */
    broker_core_remove(core, b);
    broker_core_report(core, c, 0);
    CHECK(broker_core_pick(core, "chat") == c);
    broker_core_destroy(&core);
}

static void test_expiry(void)
{
    broker_core_t *core = broker_core_new(100, 3); /* silent for 300 ms = gone */
    broker_actor_t *a = s_add(core, 1, "s", "a", 0, 0);
    broker_actor_t *b = s_add(core, 2, "s", "b", 0, 50);
    CHECK(broker_core_next_expiry(core) == 300);
    CHECK(broker_core_expired(core, 299) == NULL);
    CHECK(broker_core_expired(core, 300) == a);
    /* traffic from a moves it behind b */
    broker_core_touch(core, a, 200);
    CHECK(broker_core_first(core) == b);
    CHECK(broker_core_next(core, b) == a);
    CHECK(broker_core_next_expiry(core) == 350);
    CHECK(broker_core_expired(core, 349) == NULL);
    CHECK(broker_core_expired(core, 350) == b);
    broker_core_remove(core, b);
    CHECK(broker_core_expired(core, 350) == NULL);
    CHECK(broker_core_expired(core, 500) == a);
    broker_core_remove(core, a);
    CHECK(broker_core_next_expiry(core) == INT64_MAX);
    CHECK(broker_core_first(core) == NULL);
    broker_core_destroy(&core);
}

int main(void)
{
    test_register_and_find();
    test_many_actors();
    test_least_loaded_then_turns();
    test_expiry();
    if (s_failures) {
        fprintf(stderr, "%d check(s) failed\n", s_failures);
        return 1;
    }
    printf("broker core: all checks passed\n");
    return 0;
}
