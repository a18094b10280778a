/* test_hist.c - uschat-load's latency histogram and address rules: percentiles within
 * the promised 1/128 of the truth, exact min/max, merging, values beyond the range; and
 * stack.env parsing plus the loopback-only target rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "hist.h"
#include "loadenv.h"

/* |got - want| <= want/128 (+1 for integer rounding) */
#define CHECK_NEAR(got, want)                                                                      \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        long long d_ = g_ > w_ ? g_ - w_ : w_ - g_;                                                \
        if (d_ > w_ / 128 + 1) {                                                                   \
            fprintf(stderr, "%s:%d: %s = %lld, want about %lld\n", __FILE__, __LINE__, #got, g_,   \
                    w_);                                                                           \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

static void test_index_math(void)
{
    /* every value lies in its bucket: high(index(v)) >= v and high(index(v)-1) < v */
    for (int64_t v = 0; v < 5000000; v += 1 + v / 97) {
        int i = hist_index(v);
        CHECK(i >= 0 && i < HIST_BUCKETS);
        CHECK(hist_bucket_high(i) >= v);
        if (i > 0)
            CHECK(hist_bucket_high(i - 1) < v);
        /* relative width under 1/128 */
        CHECK(hist_bucket_high(i) - v <= v / 128 + 1);
    }
    CHECK_INT(hist_index(127), 127);
    CHECK_INT(hist_index(128), 128);
    CHECK_INT(hist_index((int64_t)1 << 40), HIST_BUCKETS - 1);
}

static void test_uniform(void)
{
    static hist_t h; /* 32 KiB: off the stack */
    hist_init(&h);
    for (int64_t v = 1; v <= 1000000; v++)
        hist_record(&h, v);
    CHECK_INT(h.count, 1000000);
    CHECK_INT(h.min, 1);
    CHECK_INT(h.max, 1000000);
    CHECK_NEAR(hist_percentile(&h, 50), 500000);
    CHECK_NEAR(hist_percentile(&h, 90), 900000);
    CHECK_NEAR(hist_percentile(&h, 99), 990000);
    CHECK_NEAR(hist_percentile(&h, 99.9), 999000);
    CHECK_INT(hist_percentile(&h, 100), 1000000);
    CHECK_NEAR(hist_mean(&h), 500000);
}

static void test_skewed_and_merge(void)
{
    static hist_t a, b;
    hist_init(&a);
    hist_init(&b);
    /* 990 fast (100 us), 9 slow (50 ms), 1 very slow (2 s): the tail must show */
    for (int i = 0; i < 990; i++)
        hist_record(&a, 100);
    for (int i = 0; i < 9; i++)
        hist_record(&b, 50000);
    hist_record(&b, 2000000);
    hist_merge(&a, &b);
    CHECK_INT(a.count, 1000);
    CHECK_INT(hist_percentile(&a, 50), 100);
    CHECK_INT(hist_percentile(&a, 99), 100);
    CHECK_NEAR(hist_percentile(&a, 99.5), 50000);
    CHECK_NEAR(hist_percentile(&a, 99.9), 50000);
    CHECK_INT(hist_percentile(&a, 100), 2000000);
    CHECK_INT(a.max, 2000000);
    CHECK_INT(a.min, 100);

    static hist_t empty;
    hist_init(&empty);
    CHECK_INT(hist_percentile(&empty, 99), 0);
    hist_record(&empty, -5); /* a clock step backwards counts as 0, never corrupts */
    CHECK_INT(empty.min, 0);
    hist_record(&empty, (int64_t)1 << 50); /* beyond the range: top bucket, exact max */
    CHECK_INT(empty.max, (int64_t)1 << 50);
    CHECK_INT(hist_percentile(&empty, 100), (int64_t)1 << 50);
}

static void test_stack_env(void)
{
    char path[] = "/tmp/uschat-load-env-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "GATE_URL=http://127.0.0.1:9080\n"
                       "REDIS_HOST=127.0.0.1\nREDIS_PORT=26379\n"
                       "MYSQL_HOST=localhost\nMYSQL_PORT=23306\nMYSQL_USER=u\n"
                       "MYSQL_PASSWORD=s3cr=t\nMYSQL_DB=d\n"
                       "CHAT_NODES=\"node1=127.0.0.1:28091 node2=127.0.0.2:28092\"\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    stack_env_t env;
    stack_env_defaults(&env);
    CHECK_INT(stack_env_load(path, &env), 0);
    unlink(path);
    CHECK_STR(env.gate_url, "http://127.0.0.1:9080");
    CHECK_INT(env.redis_port, 26379);
    CHECK_STR(env.mysql_password, "s3cr=t");
    CHECK_INT(env.node_count, 2);
    CHECK_STR(env.nodes[1].name, "node2");
    CHECK_STR(env.nodes[1].host, "127.0.0.2");
    CHECK_INT(env.nodes[1].port, 28092);
    CHECK_INT(stack_env_load("/nonexistent/stack.env", &env), -1);

    char host[64];
    int port;
    CHECK_INT(load_split_hostport("[::1]:80", host, sizeof host, &port), 0);
    CHECK_STR(host, "::1");
    CHECK_INT(load_split_hostport("127.0.0.1:0", host, sizeof host, &port), -1);
    CHECK_INT(load_url_host("http://localhost:8080/x", host, sizeof host), 0);
    CHECK_STR(host, "localhost");
}

static void test_targets(void)
{
    char why[256];
    CHECK_INT(load_target_allowed("127.0.0.1", NULL, 0, why, sizeof why), 0);
    CHECK_INT(load_target_allowed("127.5.6.7", NULL, 0, why, sizeof why), 0);
    CHECK_INT(load_target_allowed("::1", NULL, 0, why, sizeof why), 0);
    CHECK_INT(load_target_allowed("10.200.1.2", NULL, 0, why, sizeof why), -1);
    CHECK(strstr(why, "--allow-netns") != NULL);
    const char *ns[] = {"10.200.1.2"};
    CHECK_INT(load_target_allowed("10.200.1.2", ns, 1, why, sizeof why), 0);
    CHECK_INT(load_target_allowed("10.200.1.3", ns, 1, why, sizeof why), -1);
    CHECK_INT(load_target_allowed("8.8.8.8", NULL, 0, why, sizeof why), -1);
}

int main(void)
{
    RUN(test_index_math);
    RUN(test_uniform);
    RUN(test_skewed_and_merge);
    RUN(test_stack_env);
    RUN(test_targets);
    return CHECK_DONE();
}
