/* loadenv.c - stack.env parsing and the loopback-only target rule (loadenv.h). Main thread,
 * before the load starts.
 */
#include "loadenv.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void s_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

void stack_env_defaults(stack_env_t *env)
{
    memset(env, 0, sizeof *env);
    s_copy(env->gate_url, sizeof env->gate_url, "http://127.0.0.1:8080");
    (void)stack_env_set_nodes(env, "node1=127.0.0.1:18091 node2=127.0.0.1:18092");
    s_copy(env->redis_host, sizeof env->redis_host, "127.0.0.1");
    env->redis_port = 16379;
    s_copy(env->mysql_host, sizeof env->mysql_host, "127.0.0.1");
    env->mysql_port = 13306;
    s_copy(env->mysql_user, sizeof env->mysql_user, "uschat");
    s_copy(env->mysql_db, sizeof env->mysql_db, "uschat");
}

int load_split_hostport(const char *text, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (hlen == 0 || hlen >= cap || *end != '\0' || p <= 0 || p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

int load_url_host(const char *url, char *host, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/");
    char hostport[256];
    if (n == 0 || n >= sizeof hostport)
        return -1;
    memcpy(hostport, p, n);
    hostport[n] = '\0';
    int port;
    if (load_split_hostport(hostport, host, cap, &port) == 0)
        return 0;
    if (n >= cap) /* no port in the URL */
        return -1;
    memcpy(host, hostport, n + 1);
    return 0;
}

int stack_env_set_nodes(stack_env_t *env, const char *text)
{
    char buf[1024];
    s_copy(buf, sizeof buf, text);
    int count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        if (count == LOAD_MAX_NODES)
            return -1;
        load_node_t *n = &env->nodes[count];
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = '\0';
            s_copy(n->name, sizeof n->name, tok);
            tok = eq + 1;
        } else {
            snprintf(n->name, sizeof n->name, "node%d", count + 1);
        }
        if (load_split_hostport(tok, n->host, sizeof n->host, &n->port) < 0)
            return -1;
        count++;
    }
    env->node_count = count;
    return 0;
}

/* Strips a trailing newline/CR and surrounding single or double quotes, in place. */
static char *s_value(char *v)
{
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
        v[--n] = '\0';
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        v[n - 1] = '\0';
        v++;
    }
    return v;
}

int stack_env_load(const char *path, stack_env_t *env)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    stack_env_t e = *env;
    char line[1024];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || !strchr(line, '='))
            continue;
        char *eq = strchr(line, '=');
        *eq = '\0';
        const char *key = line;
        char *val = s_value(eq + 1);
        if (strcmp(key, "GATE_URL") == 0)
            s_copy(e.gate_url, sizeof e.gate_url, val);
        else if (strcmp(key, "CHAT_NODES") == 0) {
            if (*val && stack_env_set_nodes(&e, val) < 0)
                rc = -1;
            if (!*val)
                e.node_count = 0;
        } else if (strcmp(key, "REDIS_HOST") == 0)
            s_copy(e.redis_host, sizeof e.redis_host, val);
        else if (strcmp(key, "REDIS_PORT") == 0)
            e.redis_port = atoi(val);
        else if (strcmp(key, "REDIS_PASSWORD") == 0)
            s_copy(e.redis_password, sizeof e.redis_password, val);
        else if (strcmp(key, "MYSQL_HOST") == 0)
            s_copy(e.mysql_host, sizeof e.mysql_host, val);
        else if (strcmp(key, "MYSQL_PORT") == 0)
            e.mysql_port = atoi(val);
        else if (strcmp(key, "MYSQL_USER") == 0)
            s_copy(e.mysql_user, sizeof e.mysql_user, val);
        else if (strcmp(key, "MYSQL_PASSWORD") == 0)
            s_copy(e.mysql_password, sizeof e.mysql_password, val);
        else if (strcmp(key, "MYSQL_DB") == 0)
            s_copy(e.mysql_db, sizeof e.mysql_db, val);
        else if (strcmp(key, "TAP_ENDPOINT") == 0)
            s_copy(e.tap_endpoint, sizeof e.tap_endpoint, val);
    }
    fclose(f);
    if (rc == 0)
        *env = e;
    return rc;
}

static int s_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return 1;
        /* ::ffff:127.x.y.z */
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return 0;
}

int load_target_allowed(const char *host, const char *const *allowed, size_t n_allowed, char *why,
                        size_t why_cap)
{
    struct addrinfo hints = {0}, *list = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &list) != 0 || !list) {
        snprintf(why, why_cap, "%s does not resolve", host);
        return -1;
    }
    int ok = 1;
    for (struct addrinfo *ai = list; ai && ok; ai = ai->ai_next) {
        if (s_is_loopback(ai->ai_addr))
            continue;
        char text[INET6_ADDRSTRLEN] = "";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof text, NULL, 0, NI_NUMERICHOST);
        int named = 0;
        for (size_t i = 0; i < n_allowed && !named; i++)
            named = strcmp(allowed[i], text) == 0;
        if (!named) {
            snprintf(why, why_cap,
                     "%s (%s) is not a loopback address; load goes only to loopback or to an "
                     "address named with --allow-netns",
                     host, text);
            ok = 0;
        }
    }
    freeaddrinfo(list);
    return ok ? 0 : -1;
}
