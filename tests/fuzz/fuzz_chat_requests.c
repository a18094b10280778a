/* fuzz_chat_requests.c - libFuzzer target for a chat node's handling of what a client sends:
 * the node's own I/O-thread code (chat_net.c's reads and framing, chat_dispatch.c's rate,
 * shape, session and identity checks and each request's field checks, chat_text.c's checks
 * of 1017) on a real TCP connection, with no worker pool, broker, Redis or MariaDB. A request
 * that passes every check would go to the worker pool; a node without one answers it 1018
 * (busy), as a node whose queue is full does, so every frame in gets its answer out here.
 *
 * One node per process listens on 127.0.0.1 (a port the kernel picks); each input is one
 * client connection. Input: 1 byte of flags (bit 0: the connection is logged in, as uid
 * 1 + bits 2-7; bit 1: a rate limit of 4 requests a second instead of the default), 4 bytes
 * that choose the write sizes (1 to 256 bytes), then the bytes the client sends. Nothing may
 * crash, read out of bounds or leak; every reply is a frame with a reply id whose body is a
 * JSON object with an integer `error`; every request gets exactly one reply, except a text
 * that passed its checks (it waits for a commit) and what follows a reason to close.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat_net.h"
#include "chat_node.h"
#include "chat_presence.h"
#include "chat_text.h"
#include "fuzz_chat_node.h"
#include "uschat/client_proto.h"
#include "uschat/log.h"

static chat_node_t *s_node;

static void s_node_open(void)
{
    s_node = fuzz_chat_node_new();
    if (chat_net_open(s_node) < 0 || chat_text_open(s_node) < 0)
        abort();
}

static chat_conn_t *s_open_conn(void)
{
    for (size_t fd = 0; fd < s_node->conns_cap; fd++)
        if (s_node->conns[fd] && s_node->conns[fd]->state == CONN_OPEN)
            return s_node->conns[fd];
    return NULL;
}

/* A reply is what the protocol table names as some request's answer (every request of the
 * table, the ones added later included). */
static bool s_is_reply_id(uint16_t id)
{
    for (size_t i = 0; i < uschat_proto_msg_count(); i++) {
        const uschat_msg_desc_t *m = uschat_proto_msg_at(i);
        if (m->dir == USCHAT_DIR_C2S && m->reply == id)
            return true;
    }
    return false;
}

/* Reads what the node answered so far; checks each reply. Returns the number of replies. */
static size_t s_read_replies(int fd, frame_decoder_t *d)
{
    size_t replies = 0;
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0)
            return replies;
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used = 0;
            frame_t f;
            int rc = frame_decoder_feed(d, buf + off, (size_t)n - off, &used, &f);
            off += used;
            if (rc < 0)
                abort(); /* the node sent something that is not a frame */
            if (rc == 0)
                break;
            json_t *body = json_loadb((const char *)f.body, f.length, 0, NULL);
            if (!s_is_reply_id(f.id) || !json_is_object(body) ||
                !json_is_integer(json_object_get(body, "error")))
                abort();
            json_decref(body);
            replies++;
        }
    }
}

/* The requests in the client's stream (frames of a request id), as the node's decoder sees
 * them: up to the first error, after which the node closes the connection. */
static size_t s_count_requests(const uint8_t *data, size_t len)
{
    frame_decoder_t d;
    frame_decoder_init(&d, s_node->cfg.max_body);
    size_t requests = 0, off = 0;
    while (off < len) {
        size_t used = 0;
        frame_t f;
        int rc = frame_decoder_feed(&d, data + off, len - off, &used, &f);
        off += used;
        if (rc != 1)
            break;
        const uschat_msg_desc_t *m = uschat_proto_msg(f.id);
        requests += m && m->dir == USCHAT_DIR_C2S && m->reply != 0; /* one that is answered */
    }
    frame_decoder_reset(&d);
    return requests;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    if (!s_node)
        s_node_open();
    uint8_t flags = data[0];
    const uint8_t *sizes = data + 1;
    const uint8_t *stream = data + 5;
    size_t len = size - 5;
    s_node->cfg.rate_limit = (flags & 2) ? 4 : 100;

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s_node->cfg.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        abort();
    /* closed with a reset: no TIME_WAIT left behind by the many connections of a run */
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    chat_conn_t *conn = NULL;
    for (int i = 0; i < 100 && !conn; i++) {
        fuzz_chat_node_pump(s_node, 10);
        conn = s_open_conn();
    }
    if (!conn)
        abort();
    if ((flags & 1) && chat_session_bind(s_node, conn, 1 + (flags >> 2), 1) < 0)
        abort();

    frame_decoder_t replies_d;
    frame_decoder_init(&replies_d, FRAME_MAX_BODY);
    size_t replies = 0, pos = 0, step = 0;
    while (pos < len) {
        size_t chunk = 1 + sizes[step++ % 4];
        if (chunk > len - pos)
            chunk = len - pos;
        ssize_t w = send(fd, stream + pos, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            w = 0;
        else if (w < 0)
            break; /* the node closed the connection */
        pos += (size_t)w;
        fuzz_chat_node_pump(s_node, 0);
        replies += s_read_replies(fd, &replies_d);
    }
    /* Every request is answered once (1014 when over the rate, 1018 for lack of workers),
     * but a text that passed its checks, which waits in its lane for a commit: until the node
     * closes the connection (a flood, a frame over the limit). */
    size_t requests = s_count_requests(stream, len);
    for (int i = 0; i < 200 && s_open_conn() == conn; i++) {
        fuzz_chat_node_pump(s_node, i ? 5 : 0);
        replies += s_read_replies(fd, &replies_d);
        if (replies + s_node->texts_pending >= requests)
            break;
    }
    bool closed = s_open_conn() != conn;
    if (replies + s_node->texts_pending > requests ||
        (!closed && replies + s_node->texts_pending != requests))
        abort();

    close(fd);
    for (int i = 0; i < 1000 && s_node->nconns; i++)
        fuzz_chat_node_pump(s_node, 1);
    if (s_node->nconns)
        abort(); /* the node did not notice the client left */
    frame_decoder_reset(&replies_d);
    /* what a node with workers would have committed or cleared: not kept from one input to
     * the next */
    chat_text_close(s_node);
    if (chat_text_open(s_node) < 0)
        abort();
    chat_presence_list_free(&s_node->clear_pending);
    return 0;
}
