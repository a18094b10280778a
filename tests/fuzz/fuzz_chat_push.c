/* fuzz_chat_push.c - libFuzzer target for what a chat node does with a CHAT_PUSH body that
 * another node sent through the broker (chat_push_receive() in actors/chat/chat_push.c): the
 * list decoded by the schema's bounded reader, then each record written to its session here.
 *
 * One node per process listens on 127.0.0.1 with one client logged in over a real loopback
 * connection as uid 7, session 3 (no worker pool, broker, Redis or MariaDB: receiving a push
 * needs none of them). Input: the body. Nothing may crash, read out of bounds or leak; a body
 * is accepted exactly when the schema decodes it, and then the client gets, in list order,
 * exactly the records for uid 7 whose session is 0 or 3 and whose frame is not 0, each as a
 * frame of that id with that body.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat_jobs.h"
#include "chat_net.h"
#include "chat_node.h"
#include "fuzz_chat_node.h"
#include "uschat/log.h"
#include "uschat/message.h"

#define UID     7
#define SESSION 3

static chat_node_t *s_node;
static int s_client = -1; /* the logged-in client's socket */
static frame_decoder_t s_decoder;

static void s_setup(void)
{
    s_node = fuzz_chat_node_new();
    /* a whole list (up to MSG_MAX_BODY of bodies) fits the queue: no close for a slow reader */
    s_node->cfg.send_queue_max = 4u * MSG_MAX_BODY;
    s_node->cfg.idle_timeout_s = 3600;
    if (chat_net_open(s_node) < 0)
        abort();

    s_client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s_node->cfg.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s_client < 0 || connect(s_client, (struct sockaddr *)&sa, sizeof sa) < 0)
        abort();
    chat_conn_t *conn = NULL;
    for (int i = 0; i < 100 && !conn; i++) {
        fuzz_chat_node_pump(s_node, 10);
        for (size_t fd = 0; fd < s_node->conns_cap && !conn; fd++)
            if (s_node->conns[fd] && s_node->conns[fd]->state == CONN_OPEN)
                conn = s_node->conns[fd];
    }
    if (!conn || chat_session_bind(s_node, conn, UID, SESSION) < 0)
        abort();
    frame_decoder_init(&s_decoder, FRAME_MAX_BODY);
}

/* The next frame the client gets, waiting while the node still has bytes to send. 1 with
 * *out, 0 when nothing more comes. */
static int s_next_frame(frame_t *out)
{
    static uint8_t buf[65536];
    static size_t have, off;
    for (int idle = 0; idle < 1000;) {
        while (off < have) {
            size_t used = 0;
            int rc = frame_decoder_feed(&s_decoder, buf + off, have - off, &used, out);
            off += used;
            if (rc < 0)
                abort(); /* the node sent something that is not a frame */
            if (rc == 1)
                return 1;
        }
        ssize_t n = recv(s_client, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            have = (size_t)n;
            off = 0;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            abort(); /* the node closed the session */
        /* loopback: what the node has handed to the kernel is readable at once */
        if (chat_net_unsent(s_node) == 0 && idle++ > 0)
            return 0;
        fuzz_chat_node_pump(s_node, idle > 1 ? 1 : 0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_node)
        s_setup();
    msg_chat_push_t expect;
    int decoded = msg_chat_push_decode(data, size, &expect);
    int rc = chat_push_receive(s_node, data, size);
    if ((rc == 0) != (decoded == 0))
        abort();
    for (size_t i = 0; decoded == 0 && i < expect.pushes.count; i++) {
        const msg_chat_push_item_t *p = &expect.pushes.items[i];
        if (p->uid != UID || (p->session && p->session != SESSION) || p->frame == 0)
            continue;
        frame_t f;
        size_t len = strlen(p->body);
        if (s_next_frame(&f) != 1 || f.id != p->frame || f.length != len ||
            memcmp(f.body, p->body, len) != 0)
            abort(); /* missing, out of order or changed */
    }
    frame_t extra;
    if (s_next_frame(&extra) != 0)
        abort(); /* a frame nobody was meant to get */
    msg_chat_push_clear(&expect);
    return 0;
}
