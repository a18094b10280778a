/* gate_attack_main.c - uschat-gate-attack: a normal user's login latency at the gate while an
 * attack runs (gate_attack.h), for tools/bench_gate/bench_gate.sh --attacks.
 *
 *   uschat-gate-attack --port P --login FILE [--attack none|slowloris|abandon]
 *                      [--addresses A] [--connections N] [--byte-every-ms MS] [--rate R]
 *                      [--warm-s S] [--logins N] [--runs R]
 *
 * Each run starts the attack, waits --warm-s, then logs in --logins times one after the
 * other (a new connection from 127.0.0.1 each, 3 s timeout, 100 ms apart) and stops the
 * attack; it prints the run's p50/p99/max and failures, then the medians over the runs.
 * Main thread, plus the attack's own.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate_attack.h"

static char *s_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = calloc(1, 4096);
    size_t n = text ? fread(text, 1, 4095, f) : 0;
    fclose(f);
    while (text && n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    return text;
}

int main(int argc, char **argv)
{
    gate_attack_config_t cfg = {
        .addresses = 8, .connections = 2000, .byte_every_ms = 1000, .rate = 1000};
    const char *attack = "none", *login_file = NULL;
    int warm_s = 5, logins = 50, runs = 3;
    static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                         {"login", required_argument, NULL, 'l'},
                                         {"attack", required_argument, NULL, 'a'},
                                         {"addresses", required_argument, NULL, 'A'},
                                         {"connections", required_argument, NULL, 'c'},
                                         {"byte-every-ms", required_argument, NULL, 'b'},
                                         {"rate", required_argument, NULL, 'r'},
                                         {"warm-s", required_argument, NULL, 'w'},
                                         {"logins", required_argument, NULL, 'n'},
                                         {"runs", required_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 'p':
            cfg.port = atoi(optarg);
            break;
        case 'l':
            login_file = optarg;
            break;
        case 'a':
            attack = optarg;
            break;
        case 'A':
            cfg.addresses = atoi(optarg);
            break;
        case 'c':
            cfg.connections = atoi(optarg);
            break;
        case 'b':
            cfg.byte_every_ms = atoi(optarg);
            break;
        case 'r':
            cfg.rate = atoi(optarg);
            break;
        case 'w':
            warm_s = atoi(optarg);
            break;
        case 'n':
            logins = atoi(optarg);
            break;
        case 'R':
            runs = atoi(optarg);
            break;
        default:
            return 2;
        }
    }
    bool none = strcmp(attack, "none") == 0;
    if (strcmp(attack, "slowloris") == 0)
        cfg.kind = GATE_ATTACK_SLOWLORIS;
    else if (strcmp(attack, "abandon") == 0)
        cfg.kind = GATE_ATTACK_ABANDON;
    else if (!none) {
        fprintf(stderr, "uschat-gate-attack: --attack none|slowloris|abandon\n");
        return 2;
    }
    char *body = login_file ? s_read(login_file) : NULL;
    if (!cfg.port || !body || logins < 1 || runs < 1 || runs > 100 || warm_s < 0) {
        fprintf(stderr, "uschat-gate-attack: --port and --login FILE (the JSON of a login) are "
                        "needed; --logins, --runs (1-100), --warm-s >= 0\n");
        free(body);
        return 2;
    }
    double p50[100], p99[100];
    int failed = 0;
    for (int r = 0; r < runs; r++) {
        gate_attack_t *a = none ? NULL : gate_attack_start(&cfg);
        if (!none && !a) {
            perror("uschat-gate-attack: attack");
            free(body);
            return 1;
        }
        sleep((unsigned)warm_s);
        gate_attack_logins_t l;
        gate_attack_logins(cfg.port, body, logins, 3000, 100, 0, &l);
        gate_attack_stats_t st = {0};
        gate_attack_stop(&a, &st);
        printf("run %d: %s: %d logins: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d failed; attack "
               "opened %llu connections, %llu closed by the gate, %d open at its end\n",
               r + 1, attack, l.n, l.p50_ms, l.p99_ms, l.max_ms, l.failed,
               (unsigned long long)st.opened, (unsigned long long)st.closed, st.open_at_end);
        fflush(stdout);
        p50[r] = l.p50_ms;
        p99[r] = l.p99_ms;
        failed += l.failed;
        if (r + 1 < runs)
            sleep(2); /* let the gate drop what is left of the attack */
    }
    printf("%s: median over %d runs: login p50 %.1f ms, p99 %.1f ms; %d of %d logins failed\n",
           attack, runs, gate_attack_percentile(p50, runs, 50),
           gate_attack_percentile(p99, runs, 50), failed, runs * logins);
    free(body);
    return 0;
}
