/* chat_net.c - the client side of a chat node: listener, connections, reads, writes, timers.
 *
 * Runs on the node's I/O thread only. Every client socket and the listener are in one epoll
 * set (level-triggered), and the epoll descriptor itself is one item of the actor's zloop, so
 * the loop polls a fixed handful of items whatever the number of clients and each wakeup costs
 * only the sockets that are ready. Level-triggered because it lets a connection be served a
 * bounded amount per wakeup (READ_BUDGET) without bookkeeping for the rest: epoll reports it
 * again on the next round, so one busy client cannot starve the others.
 *
 * Memory per idle connection is the chat_conn_t alone: reads go through one node-wide buffer
 * (the frame decoder copies only a frame split across reads), and the send queue holds memory
 * only while it has bytes the kernel has not taken.
 *
 * Writes: a frame is appended to its connection's send queue and the connection put on the
 * node's dirty list; the list is written at the start of the next loop turn (a one-shot zloop
 * timer of 0 ms, so the loop polls without waiting and runs it before any other handler), one
 * sendmsg per connection with every frame queued for it. A fan-out that gives a member
 * several frames in one turn (texts of a group committed together, pushes from the other node
 * read in one wakeup) thus costs that member one write, not one per frame; a lone reply waits
 * only for the end of the turn that made it. A queue that reaches FLUSH_AT is written at once
 * (memory stays bounded within a turn), and a frame of that size finding the queue empty is
 * written directly without a copy. A connection whose socket is full (EPOLLOUT armed) is not
 * on the list: EPOLLOUT writes it, and the queue's limit (send_queue_max) closes it if it
 * does not read. Closed connections stay on the list as CONN_DEAD and are skipped: the list
 * is flushed before the zombies are freed.
 *
 * Admission: until it logs in a connection may only send frames of login_max_body bytes (so
 * a frame left half-sent holds at most that much, not max_body), and one client address may
 * hold at most prelogin_per_address such connections (more are closed as soon as they are
 * accepted). A logged-in session counts for no address: many users behind one NAT are fine,
 * a flood of connections that never log in is not. Closing is deferred in one respect: a closed
 * connection's struct lives until the end of the event batch (epoll may still hold events
 * naming it), as in Redis' "free at a safe point".
 *
 * Deadlines (login, idle, linger after a goodbye) live in a one-second timer wheel
 * (chat_wheel.h); the rate limit (chat_dispatch.c) is a token bucket kept in the connection.
 */
#include "chat_net.h"
#include "chat_dispatch.h"
#include "chat_json.h"
#include "chat_presence.h"
#include "uschat/client_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "uschat/log.h"

#define EPOLL_BATCH   256
#define READ_BUFFER   (64 * 1024)
#define READ_BUDGET   (256 * 1024) /* bytes taken from one connection per wakeup */
#define ACCEPT_BUDGET 256          /* connections accepted per wakeup */
#define FLUSH_AT      (64 * 1024)  /* queued bytes written at once instead of at the turn's end */
#define SMALL_FRAME   4096         /* bodies up to this are queued with their header in one copy */

#define CONN_OF(t) ((chat_conn_t *)((char *)(t)-offsetof(chat_conn_t, timer)))

static uint64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_clock_update(chat_node_t *node)
{
    node->now_s = (uint32_t)((s_mono_ms() - node->clock_base_ms) / 1000u) + 1u;
}

uint32_t chat_now_s(chat_node_t *node)
{
    return node->now_s;
}

/* ---- setup ----------------------------------------------------------------------------------- */

static int s_listen(chat_node_t *node)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", node->cfg.port);
    int rc = getaddrinfo(node->cfg.host, port, &hints, &res);
    if (rc != 0) {
        log_error("chat: cannot resolve %s: %s", node->cfg.host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, node->cfg.backlog) == 0)
            break;
        log_error("chat: cannot listen on %s:%d: %s", node->cfg.host, node->cfg.port,
                  strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    /* Port 0 asks the kernel for one: report the real one to status. */
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET)
            node->cfg.port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        else if (sa.ss_family == AF_INET6)
            node->cfg.port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    }
    node->listen_fd = fd;
    return 0;
}

int chat_net_open(chat_node_t *node)
{
    node->epfd = epoll_create1(EPOLL_CLOEXEC);
    node->rbuf_size = READ_BUFFER;
    node->rbuf = malloc(node->rbuf_size);
    if (node->epfd < 0 || !node->rbuf) {
        log_error("chat: epoll_create1: %s", strerror(errno));
        return -1;
    }
    node->clock_base_ms = s_mono_ms();
    s_clock_update(node);
    chat_wheel_init(&node->wheel, node->now_s);
    if (s_listen(node) < 0)
        return -1;
    /* The listener is the one epoll entry whose data is NULL. */
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(node->epfd, EPOLL_CTL_ADD, node->listen_fd, &ev) < 0) {
        log_error("chat: epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void chat_net_stop_accepting(chat_node_t *node)
{
    if (node->listen_fd < 0)
        return;
    epoll_ctl(node->epfd, EPOLL_CTL_DEL, node->listen_fd, NULL);
    close(node->listen_fd);
    node->listen_fd = -1;
}

size_t chat_net_unsent(chat_node_t *node)
{
    size_t bytes = 0;
    for (size_t fd = 0; fd < node->conns_cap; fd++)
        if (node->conns[fd] && node->conns[fd]->state != CONN_DEAD)
            bytes += chat_sendq_bytes(&node->conns[fd]->sendq);
    return bytes;
}

static void s_free_zombies(chat_node_t *node)
{
    chat_net_flush(node); /* the dirty list may name a zombie: walk it before the free */
    while (node->zombies) {
        chat_conn_t *c = node->zombies;
        node->zombies = c->ring_next;
        frame_decoder_reset(&c->decoder);
        free(c);
    }
}

void chat_net_close(chat_node_t *node)
{
    chat_net_stop_accepting(node);
    chat_net_flush(node); /* what was queued in the last turn goes out before the close */
    for (size_t fd = 0; fd < node->conns_cap; fd++)
        if (node->conns[fd])
            chat_conn_close(node, node->conns[fd], "node stopping");
    s_free_zombies(node);
    free(node->conns);
    node->conns = NULL;
    node->conns_cap = 0;
    chat_umap_clear(&node->sessions);
    chat_umap_clear(&node->prelogin);
    if (node->epfd >= 0)
        close(node->epfd);
    node->epfd = -1;
    free(node->rbuf);
    node->rbuf = NULL;
}

/* ---- connections ----------------------------------------------------------------------------- */

chat_conn_t *chat_conn_find(chat_node_t *node, int fd, uint64_t id)
{
    if (fd < 0 || (size_t)fd >= node->conns_cap)
        return NULL;
    chat_conn_t *c = node->conns[fd];
    return (c && c->id == id && c->state == CONN_OPEN) ? c : NULL;
}

static int s_conns_reserve(chat_node_t *node, int fd)
{
    if ((size_t)fd < node->conns_cap)
        return 0;
    size_t cap = node->conns_cap ? node->conns_cap : 1024;
    while (cap <= (size_t)fd)
        cap *= 2;
    chat_conn_t **conns = realloc(node->conns, cap * sizeof *conns);
    if (!conns)
        return -1;
    memset(conns + node->conns_cap, 0, (cap - node->conns_cap) * sizeof *conns);
    node->conns = conns;
    node->conns_cap = cap;
    return 0;
}

static void s_set_events(chat_node_t *node, chat_conn_t *c, bool want_out)
{
    if (c->want_out == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want_out ? EPOLLOUT : 0),
                             .data.ptr = c};
    if (epoll_ctl(node->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_out = want_out;
}

/* The key a client address is counted under: an IPv4 address (also IPv4-mapped) as itself,
 * an IPv6 address by its /64, the block one host or one home usually gets. Never 0. */
static uint64_t s_addr_key(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET)
        return (1ull << 32) | ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    if (sa->ss_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, sizeof mapped) == 0)
            return (1ull << 32) |
                   ((uint64_t)b[12] << 24 | (uint64_t)b[13] << 16 | (uint64_t)b[14] << 8 | b[15]);
        uint64_t prefix = 0;
        for (int i = 0; i < 8; i++)
            prefix = prefix << 8 | b[i];
        /* FNV-1a over the prefix, kept clear of the IPv4 keys (bit 63 set) */
        uint64_t h = 1469598103934665603ull;
        for (int i = 0; i < 8; i++)
            h = (h ^ ((prefix >> (8 * i)) & 0xff)) * 1099511628211ull;
        return h | (1ull << 63);
    }
    return 1; /* unix sockets and the like: one address */
}

static uintptr_t s_prelogin_count(chat_node_t *node, uint64_t key)
{
    return (uintptr_t)chat_umap_get(&node->prelogin, key);
}

/* Counts c as not logged in from its address (c->addr_key = key). -1 when the map has no
 * room (c is then not counted). */
static int s_prelogin_add(chat_node_t *node, chat_conn_t *c, uint64_t key)
{
    if (chat_umap_put(&node->prelogin, key, (void *)(s_prelogin_count(node, key) + 1)) < 0)
        return -1;
    c->addr_key = key;
    return 0;
}

/* c logged in or closed: it no longer counts for its address. */
static void s_prelogin_release(chat_node_t *node, chat_conn_t *c)
{
    if (!c->addr_key)
        return;
    uintptr_t n = s_prelogin_count(node, c->addr_key);
    if (n > 1)
        chat_umap_put(&node->prelogin, c->addr_key, (void *)(n - 1));
    else
        chat_umap_remove(&node->prelogin, c->addr_key);
    c->addr_key = 0;
}

static void s_conn_new(chat_node_t *node, int fd, uint64_t addr_key)
{
    chat_conn_t *c = NULL;
    if (s_conns_reserve(node, fd) < 0 || !(c = calloc(1, sizeof *c))) {
        log_warn("chat: out of memory for a connection");
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->id = ++node->next_conn_id;
    c->created_s = c->last_rx_s = node->now_s;
    frame_decoder_init(&c->decoder, node->cfg.login_max_body);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(node->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        log_warn("chat: epoll_ctl add: %s", strerror(errno));
        close(fd);
        free(c);
        return;
    }
    if (s_prelogin_add(node, c, addr_key) < 0) {
        log_warn("chat: out of memory for a connection");
        epoll_ctl(node->epfd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        free(c);
        return;
    }
    node->conns[fd] = c;
    node->nconns++;
    node->stats.accepted++;
    uint32_t wait = node->cfg.login_timeout_s < node->cfg.idle_timeout_s ? node->cfg.login_timeout_s
                                                                         : node->cfg.idle_timeout_s;
    chat_wheel_add(&node->wheel, &c->timer, node->now_s + wait);
}

static void s_accept(chat_node_t *node)
{
    for (int i = 0; i < ACCEPT_BUDGET && node->listen_fd >= 0; i++) {
        struct sockaddr_storage sa;
        socklen_t sa_len = sizeof sa;
        int fd =
            accept4(node->listen_fd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* Out of descriptors or memory: stop listening for a second instead of spinning
             * on a listener that stays readable. */
            log_warn("chat: accept: %s; not accepting for a second", strerror(errno));
            epoll_ctl(node->epfd, EPOLL_CTL_DEL, node->listen_fd, NULL);
            node->listen_paused = true;
            node->listen_resume_s = node->now_s + 1;
            return;
        }
        if (node->stopping || node->nconns >= node->cfg.max_connections) {
            close(fd);
            continue;
        }
        uint64_t key = s_addr_key(&sa);
        if (s_prelogin_count(node, key) >= node->cfg.prelogin_per_address) {
            close(fd);
            node->stats.addr_refused++;
            if (node->addr_refused_logged_s != node->now_s) {
                node->addr_refused_logged_s = node->now_s;
                char text[INET6_ADDRSTRLEN] = "?";
                if (sa.ss_family == AF_INET)
                    inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, text, sizeof text);
                else if (sa.ss_family == AF_INET6)
                    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, text,
                              sizeof text);
                log_warn("chat: %s holds %u connections that have not logged in: more refused "
                         "(%llu so far)",
                         text, node->cfg.prelogin_per_address,
                         (unsigned long long)node->stats.addr_refused);
            }
            continue;
        }
        s_conn_new(node, fd, key);
    }
}

static void s_ring_remove(chat_node_t *node, chat_conn_t *c)
{
    if (!c->in_ring)
        return;
    if (c->ring_next == c) {
        node->ring = node->ring_cursor = NULL;
    } else {
        c->ring_prev->ring_next = c->ring_next;
        c->ring_next->ring_prev = c->ring_prev;
        if (node->ring == c)
            node->ring = c->ring_next;
        if (node->ring_cursor == c)
            node->ring_cursor = c->ring_next;
    }
    c->ring_next = c->ring_prev = NULL;
    c->in_ring = 0;
}

int chat_session_bind(chat_node_t *node, chat_conn_t *conn, uint64_t uid, uint64_t session)
{
    if (chat_umap_put(&node->sessions, uid, conn) < 0)
        return -1;
    conn->uid = uid;
    conn->session = session;
    s_prelogin_release(node, conn);
    /* logged in: frames up to max_body from now on (the decoder checks each new header) */
    conn->decoder.max_body = node->cfg.max_body;
    if (!conn->in_ring) {
        if (!node->ring) {
            conn->ring_next = conn->ring_prev = conn;
            node->ring = node->ring_cursor = conn;
        } else {
            /* Insert just before the cursor: the new session is refreshed last in this turn,
             * which is right, its TTL was set a moment ago. */
            chat_conn_t *at = node->ring_cursor ? node->ring_cursor : node->ring;
            conn->ring_next = at;
            conn->ring_prev = at->ring_prev;
            at->ring_prev->ring_next = conn;
            at->ring_prev = conn;
        }
        conn->in_ring = 1;
        node->nsessions++;
    }
    return 0;
}

void chat_session_unbind(chat_node_t *node, chat_conn_t *conn, bool clear_presence)
{
    if (!conn->uid)
        return;
    if (chat_umap_get(&node->sessions, conn->uid) == conn)
        chat_umap_remove(&node->sessions, conn->uid);
    if (conn->in_ring) {
        s_ring_remove(node, conn);
        node->nsessions--;
    }
    if (clear_presence)
        chat_presence_clear_later(node, conn->uid, conn->session);
    conn->uid = 0;
    conn->session = 0;
}

chat_conn_t *chat_session_find(chat_node_t *node, uint64_t uid)
{
    return chat_umap_get(&node->sessions, uid);
}

void chat_conn_close(chat_node_t *node, chat_conn_t *c, const char *reason)
{
    if (c->state == CONN_DEAD)
        return;
    if (c->uid)
        log_debug("chat: connection %llu of uid %llu closed: %s", (unsigned long long)c->id,
                  (unsigned long long)c->uid, reason);
    else
        log_debug("chat: connection %llu closed: %s", (unsigned long long)c->id, reason);
    chat_session_unbind(node, c, true);
    s_prelogin_release(node, c);
    chat_wheel_remove(&node->wheel, &c->timer);
    epoll_ctl(node->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    node->conns[c->fd] = NULL;
    node->nconns--;
    node->stats.closed++;
    chat_sendq_clear(&c->sendq);
    c->state = CONN_DEAD;
    c->fd = -1;
    /* The decoder may hold the body a handler is still reading: it is freed with the struct,
     * after the batch. */
    c->ring_next = node->zombies;
    node->zombies = c;
}

static void s_closing_flushed(chat_node_t *node, chat_conn_t *c)
{
    if (c->shut_wr)
        return;
    /* FIN after the goodbye; keep reading (and dropping) until the client closes too, so the
     * kernel does not answer its last bytes with a reset that could discard the goodbye. */
    shutdown(c->fd, SHUT_WR);
    c->shut_wr = 1;
}

static void s_begin_closing(chat_node_t *node, chat_conn_t *c)
{
    c->state = CONN_CLOSING;
    c->closing_until_s = node->now_s + node->cfg.linger_s;
    chat_wheel_remove(&node->wheel, &c->timer);
    chat_wheel_add(&node->wheel, &c->timer, c->closing_until_s);
    if (chat_sendq_bytes(&c->sendq) == 0)
        s_closing_flushed(node, c);
}

void chat_conn_kick(chat_node_t *node, chat_conn_t *conn, bool clear_presence, const char *reason)
{
    if (conn->state != CONN_OPEN)
        return;
    uint64_t uid = conn->uid;
    log_info("chat: uid %llu kicked: %s", (unsigned long long)uid, reason);
    node->stats.kicked++;
    chat_session_unbind(node, conn, clear_presence);
    /* error 0: the seed client (tcpmgr.cpp) drops a body without it and never says why.
     * `reason` (UsChat) lets a client tell a password change from a login elsewhere; the
     * seed's client ignores it. Only the revoke's own reasons, never free text, reach the wire. */
    const char *why = clear_presence && strcmp(reason, "password_reset") == 0 ? "password_reset"
                      : clear_presence                                        ? "revoked"
                                                                              : "login_elsewhere";
    char body[96];
    int len = snprintf(body, sizeof body, "{\"%s\":0,\"%s\":%llu,\"%s\":\"%s\"}",
                       USCHAT_FIELD(NOTIFY_OFFLINE, error), USCHAT_FIELD(NOTIFY_OFFLINE, uid),
                       (unsigned long long)uid, USCHAT_FIELD(NOTIFY_OFFLINE, reason), why);
    if (chat_conn_send(node, conn, USCHAT_ID_NOTIFY_OFFLINE, body, (size_t)len) < 0)
        return;
    s_begin_closing(node, conn);
}

/* The queue is over its limit: the client does not read. Closes it; -1 then, else 0. */
static int s_check_limit(chat_node_t *node, chat_conn_t *c)
{
    if (chat_sendq_bytes(&c->sendq) <= node->cfg.send_queue_max)
        return 0;
    node->stats.slow_closed++;
    log_info("chat: connection %llu (uid %llu) does not read: %zu bytes queued, closing",
             (unsigned long long)c->id, (unsigned long long)c->uid, chat_sendq_bytes(&c->sendq));
    chat_conn_close(node, c, "send queue over its limit");
    return -1;
}

/* Writes what the kernel takes of c's queue; arms EPOLLOUT for the rest (and closes a client
 * whose queue is then over the limit), sends the FIN of a goodbye once it is all out. 0 or -1
 * when c was closed. */
static int s_write_queue(chat_node_t *node, chat_conn_t *c)
{
    node->stats.writes++;
    int rc = chat_sendq_flush(&c->sendq, c->fd);
    if (rc < 0) {
        chat_conn_close(node, c, "write failed");
        return -1;
    }
    if (rc == 0) {
        s_set_events(node, c, false);
        if (c->state == CONN_CLOSING)
            s_closing_flushed(node, c);
        return 0;
    }
    s_set_events(node, c, true);
    return s_check_limit(node, c);
}

static int s_on_flush_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    chat_node_t *node = arg;
    node->flush_armed = false;
    chat_net_flush(node);
    return 0;
}

void chat_net_flush(chat_node_t *node)
{
    while (node->dirty) {
        chat_conn_t *c = node->dirty;
        node->dirty = c->dirty_next;
        c->dirty_next = NULL;
        c->dirty = 0;
        if (c->state != CONN_DEAD && !c->want_out && chat_sendq_bytes(&c->sendq))
            s_write_queue(node, c);
    }
    node->dirty_tail = NULL;
}

/* c has frames for this turn's flush. Without a loop to run the flush (never in a running
 * node) it is written at once. */
static int s_mark_dirty(chat_node_t *node, chat_conn_t *c)
{
    if (c->dirty)
        return 0;
    if (!node->flush_armed) {
        if (!node->base ||
            zloop_timer(service_base_loop(node->base), 0, 1, s_on_flush_timer, node) < 0)
            return s_write_queue(node, c);
        node->flush_armed = true;
    }
    c->dirty = 1;
    if (node->dirty_tail)
        node->dirty_tail->dirty_next = c;
    else
        node->dirty = c;
    node->dirty_tail = c;
    return 0;
}

/* A frame of FLUSH_AT or more and nothing queued before it: straight to the socket from the
 * caller's memory; only what the kernel does not take is copied into the queue. */
static int s_send_now(chat_node_t *node, chat_conn_t *c, const uint8_t *hdr, const void *body,
                      size_t len)
{
    size_t total = FRAME_HEADER_SIZE + len;
    /* sendmsg with MSG_NOSIGNAL: a client that vanished must not SIGPIPE the process. */
    struct iovec iov[2] = {{(void *)hdr, FRAME_HEADER_SIZE}, {(void *)body, len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t w;
    node->stats.writes++;
    do
        w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        chat_conn_close(node, c, "write failed");
        return -1;
    }
    size_t done = w > 0 ? (size_t)w : 0;
    if (done == total)
        return 0;
    int rc = 0;
    if (done < FRAME_HEADER_SIZE)
        rc = chat_sendq_append(&c->sendq, hdr + done, FRAME_HEADER_SIZE - done);
    size_t body_done = done > FRAME_HEADER_SIZE ? done - FRAME_HEADER_SIZE : 0;
    if (rc == 0)
        rc = chat_sendq_append(&c->sendq, (const uint8_t *)body + body_done, len - body_done);
    if (rc < 0) {
        chat_conn_close(node, c, "out of memory for the send queue");
        return -1;
    }
    s_set_events(node, c, true);
    return s_check_limit(node, c);
}

int chat_conn_send(chat_node_t *node, chat_conn_t *c, uint16_t id, const void *body, size_t len)
{
    if (c->state != CONN_OPEN)
        return -1;
    uint8_t hdr[FRAME_HEADER_SIZE];
    if (frame_header_write(hdr, id, len) < 0) {
        log_error("chat: reply %u of %zu bytes does not fit a frame", id, len);
        return -1;
    }
    node->stats.frames_out++;
    if (chat_sendq_bytes(&c->sendq) == 0 && FRAME_HEADER_SIZE + len >= FLUSH_AT)
        return s_send_now(node, c, hdr, body, len);
    int rc;
    if (len <= SMALL_FRAME) { /* one append: the frame in one fitted block */
        uint8_t frame[FRAME_HEADER_SIZE + SMALL_FRAME];
        memcpy(frame, hdr, FRAME_HEADER_SIZE);
        if (len)
            memcpy(frame + FRAME_HEADER_SIZE, body, len);
        rc = chat_sendq_append(&c->sendq, frame, FRAME_HEADER_SIZE + len);
    } else {
        rc = chat_sendq_append(&c->sendq, hdr, FRAME_HEADER_SIZE);
        if (rc == 0)
            rc = chat_sendq_append(&c->sendq, body, len);
    }
    if (rc < 0) {
        chat_conn_close(node, c, "out of memory for the send queue");
        return -1;
    }
    if (c->want_out) /* the socket is full: EPOLLOUT writes the queue */
        return s_check_limit(node, c);
    if (chat_sendq_bytes(&c->sendq) >= FLUSH_AT)
        return s_write_queue(node, c);
    return s_mark_dirty(node, c);
}

int chat_conn_send_json(chat_node_t *node, chat_conn_t *conn, uint16_t id, json_t *body)
{
    size_t len = 0;
    char *text = chat_json_dump(body, &len);
    json_decref(body);
    if (!text)
        return -1;
    int rc = chat_conn_send(node, conn, id, text, len);
    free(text);
    return rc;
}

int chat_conn_send_error(chat_node_t *node, chat_conn_t *conn, uint16_t id, int error)
{
    char body[32]; /* the names of an error-only reply (client.def) */
    int len =
        snprintf(body, sizeof body, "{\"%s\":%d}", USCHAT_FIELD(ADD_FRIEND_RSP, error), error);
    return chat_conn_send(node, conn, id, body, (size_t)len);
}

/* ---- events ---------------------------------------------------------------------------------- */

static void s_feed(chat_node_t *node, chat_conn_t *c, const uint8_t *data, size_t n)
{
    size_t off = 0;
    while (off < n && c->state == CONN_OPEN) {
        size_t used = 0;
        frame_t frame;
        int rc = frame_decoder_feed(&c->decoder, data + off, n - off, &used, &frame);
        off += used;
        if (rc == 1) {
            node->stats.frames_in++;
            chat_dispatch_frame(node, c, &frame);
        } else if (rc == 0) {
            return;
        } else if (rc == FRAME_ERR_TOO_LARGE) {
            node->stats.too_large++;
            /* before login this is what a flood looks like: not one log line each */
            log_write(c->uid ? LOG_WARN : LOG_DEBUG,
                      "chat: connection %llu (uid %llu) announced a body of %u bytes (limit %u): "
                      "closing",
                      (unsigned long long)c->id, (unsigned long long)c->uid, c->decoder.length,
                      c->decoder.max_body);
            chat_conn_close(node, c, "frame over the size limit");
            return;
        } else {
            chat_conn_close(node, c, frame_strerror(rc));
            return;
        }
    }
}

static void s_on_readable(chat_node_t *node, chat_conn_t *c)
{
    size_t budget = READ_BUDGET;
    while (c->state != CONN_DEAD) {
        ssize_t n = read(c->fd, node->rbuf, node->rbuf_size);
        if (n > 0) {
            c->last_rx_s = node->now_s;
            if (c->state == CONN_OPEN)
                s_feed(node, c, node->rbuf, (size_t)n);
            /* A short read means the socket is drained: skip the read that would say EAGAIN. */
            if ((size_t)n < node->rbuf_size || (size_t)n >= budget)
                return;
            budget -= (size_t)n;
        } else if (n == 0) {
            chat_conn_close(node, c, "closed by the client");
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            chat_conn_close(node, c, "read failed");
            return;
        }
    }
}

int chat_net_on_events(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void)loop;
    (void)item;
    chat_node_t *node = arg;
    struct epoll_event evs[EPOLL_BATCH];
    s_clock_update(node);
    int n = epoll_wait(node->epfd, evs, EPOLL_BATCH, 0);
    for (int i = 0; i < n; i++) {
        chat_conn_t *c = evs[i].data.ptr;
        if (!c) {
            s_accept(node);
            continue;
        }
        if (c->state == CONN_DEAD)
            continue;
        uint32_t e = evs[i].events;
        if (e & EPOLLOUT)
            s_write_queue(node, c);
        if (c->state != CONN_DEAD && (e & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
            s_on_readable(node, c);
    }
    s_free_zombies(node);
    chat_presence_flush(node);
    return 0;
}

/* ---- timers ---------------------------------------------------------------------------------- */

static void s_on_timer(chat_timer_t *t, uint32_t now, void *arg)
{
    chat_node_t *node = arg;
    chat_conn_t *c = CONN_OF(t);
    if (c->state == CONN_CLOSING) {
        if (now >= c->closing_until_s)
            chat_conn_close(node, c, "goodbye sent");
        else
            chat_wheel_add(&node->wheel, t, c->closing_until_s);
        return;
    }
    /* Times are whole seconds of the node clock: +1 makes "silent for 30 s" mean at least
     * 30 s (at most 31), never less. */
    uint32_t due = c->last_rx_s + node->cfg.idle_timeout_s + 1;
    if (!c->uid) {
        uint32_t login_due = c->created_s + node->cfg.login_timeout_s + 1;
        if (login_due <= now) {
            node->stats.login_timeouts++;
            chat_conn_close(node, c, "not logged in in time");
            return;
        }
        if (login_due < due)
            due = login_due;
    }
    if (due <= now) {
        node->stats.idle_closed++;
        log_info("chat: connection %llu (uid %llu) silent for %u s: closing",
                 (unsigned long long)c->id, (unsigned long long)c->uid, now - c->last_rx_s);
        chat_conn_close(node, c, "idle timeout");
        return;
    }
    chat_wheel_add(&node->wheel, t, due);
}

void chat_net_tick(chat_node_t *node)
{
    s_clock_update(node);
    chat_wheel_advance(&node->wheel, node->now_s, s_on_timer, node);
    if (node->listen_paused && node->now_s >= node->listen_resume_s && node->listen_fd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(node->epfd, EPOLL_CTL_ADD, node->listen_fd, &ev) == 0)
            node->listen_paused = false;
    }
    s_free_zombies(node);
}
