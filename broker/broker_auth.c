/* broker_auth.c - the broker's ZAP handler and allow-list (see broker_auth.h).
 *
 * Runs on the broker's loop thread: the REP socket at inproc://zeromq.zap.01 is polled by the
 * loop with the others. libzmq asks it once per CURVE handshake (RFC 27: version, request id,
 * domain, address, routing id, mechanism, then the client's 32-byte public key) and waits for
 * the answer in its I/O thread, so a handshake never blocks routing. An accepted connection
 * carries the client's Z85 public key as its User-Id, which the loop reads from a READY's
 * envelope frame to check the service name against the same allow-list.
 */
#include "broker_auth.h"

#include <czmq.h>
#include <string.h>

#include "uschat/log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define KEY_TEXT_LEN 41 /* Z85 of 32 bytes + NUL */

struct broker_auth_t {
    zsock_t *sock;
    void *handle;
    zcertstore_t *store; /* NULL: the folder was not given; nobody is allowed */
    char dir[512];
    broker_tap_t *tap;
    int64_t logged_at; /* last refusal line */
    uint64_t unlogged; /* refusals since, not logged */
    uint64_t refusals; /* all of them */
};

/* The certificates in dir (for the start-up line; the store itself keeps them). */
static size_t s_count_keys(const char *dir)
{
    zdir_t *folder = zdir_new(dir, NULL);
    if (!folder)
        return 0;
    zlist_t *files = zdir_list(folder);
    size_t count = 0;
    for (zfile_t *file = files ? zlist_first(files) : NULL; file; file = zlist_next(files)) {
        zcert_t *cert = zcert_load(zfile_filename(file, NULL));
        count += cert != NULL;
        zcert_destroy(&cert);
    }
    zlist_destroy(&files);
    zdir_destroy(&folder);
    return count;
}

broker_auth_t *broker_auth_new(const char *authorized_dir)
{
    broker_auth_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->sock = zsock_new(ZMQ_REP);
    if (!self->sock || zsock_bind(self->sock, "%s", ZAP_ENDPOINT) != 0) {
        log_error("cannot bind the ZAP handler (%s): %s", ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        broker_auth_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->sock, 0);
    self->handle = zsock_resolve(self->sock);
    snprintf(self->dir, sizeof(self->dir), "%s", authorized_dir ? authorized_dir : "");
    if (self->dir[0] && zsys_file_exists(self->dir))
        self->store = zcertstore_new(self->dir);
    size_t keys = self->store ? s_count_keys(self->dir) : 0;
    if (keys == 0)
        log_error("CURVE: no key is allowed in (%s is %s): every actor, tool and monitor will "
                  "be refused; make keys with uschat-keys",
                  self->dir[0] ? self->dir : "broker/curve_authorized_dir",
                  self->dir[0] ? "empty or missing" : "not set");
    else
        log_info("CURVE: %zu keys allowed in, from %s", keys, self->dir);
    return self;
}

void broker_auth_destroy(broker_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    broker_auth_t *self = *self_p;
    if (self->refusals)
        log_info("CURVE: %" PRIu64 " refusals in all", self->refusals);
    zsock_destroy(&self->sock);
    zcertstore_destroy(&self->store);
    free(self);
    *self_p = NULL;
}

void broker_auth_set_tap(broker_auth_t *self, broker_tap_t *tap)
{
    self->tap = tap;
}

void *broker_auth_handle(broker_auth_t *self)
{
    return self->handle;
}

/* The names a key may register, or NULL when the key is not allowed in at all. */
static const char *s_grants(broker_auth_t *self, const char *key)
{
    if (!self->store || !key)
        return NULL;
    zcert_t *cert = zcertstore_lookup(self->store, key);
    if (!cert)
        return NULL;
    const char *services = zcert_meta(cert, "services");
    return services ? services : "";
}

/* Whether name is one of the comma- or space-separated names in list. */
static bool s_listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;
    while (*p) {
        p += strspn(p, ", \t");
        size_t word = strcspn(p, ", \t");
        if (word == len && len > 0 && memcmp(p, name, len) == 0)
            return true;
        p += word;
    }
    return false;
}

bool broker_auth_may_register(broker_auth_t *self, const char *key, const char *service)
{
    const char *grants = s_grants(self, key);
    /* "tap" is a grant, never a service name an actor may take */
    return grants && strcmp(service, BROKER_AUTH_TAP_GRANT) != 0 && s_listed(grants, service);
}

void broker_auth_refused(broker_auth_t *self, int64_t now_ms, const char *what, const char *service,
                         const char *node, const char *key, const char *peer, const char *why)
{
    self->refusals++;
    /* A rogue retrying in a loop must not flood the log: one line a second, with the count. */
    if (now_ms - self->logged_at >= 1000) {
        log_warn("refused %s: %s%s%s%s key %s from %s: %s (%" PRIu64 " more refusals since the "
                 "last report)",
                 what, service ? service : "", service ? " " : "", node ? node : "",
                 node ? "," : "", key && *key ? key : "(none)", peer && *peer ? peer : "?", why,
                 self->unlogged);
        self->logged_at = now_ms;
        self->unlogged = 0;
    } else {
        self->unlogged++;
    }
    broker_tap_refusal(self->tap, what, service, node, key, peer);
}

/* One ZAP request: [version][request id][domain][address][routing id][mechanism][creds...] */
static void s_answer(broker_auth_t *self, zmsg_t *request, int64_t now_ms)
{
    char *version = zmsg_popstr(request);
    char *request_id = zmsg_popstr(request);
    char *domain = zmsg_popstr(request);
    char *address = zmsg_popstr(request);
    zframe_t *routing_id = zmsg_pop(request);
    char *mechanism = zmsg_popstr(request);
    zframe_t *client_key = zmsg_pop(request);

    char key[KEY_TEXT_LEN] = "";
    const char *status = "400", *text = "not allowed";
    bool is_tap = domain && strcmp(domain, BROKER_AUTH_DOMAIN_TAP) == 0;
    if (!version || strcmp(version, "1.0") != 0 || !mechanism || strcmp(mechanism, "CURVE") != 0 ||
        !client_key || zframe_size(client_key) != 32) {
        text = "not a CURVE request";
    } else {
        zmq_z85_encode(key, zframe_data(client_key), 32);
        const char *grants = s_grants(self, key);
        if (!grants)
            text = "unknown key";
        else if (is_tap && !s_listed(grants, BROKER_AUTH_TAP_GRANT))
            text = "key not allowed to read the tap";
        else if (!is_tap && !*grants)
            text = "key allowed nothing";
        else {
            status = "200";
            text = "OK";
        }
    }
    if (strcmp(status, "200") != 0)
        broker_auth_refused(self, now_ms, is_tap ? "tap" : "handshake", NULL, NULL, key, address,
                            text);
    else
        log_debug("accepted key %s from %s (%s)", key, address ? address : "?",
                  is_tap ? "tap" : "actors");

    /* [version][request id][status code][status text][user id][metadata] */
    zmsg_t *reply = zmsg_new();
    zmsg_addstr(reply, "1.0");
    zmsg_addstr(reply, request_id ? request_id : "");
    zmsg_addstr(reply, status);
    zmsg_addstr(reply, text);
    zmsg_addstr(reply, strcmp(status, "200") == 0 ? key : "");
    zmsg_addmem(reply, NULL, 0);
    zmsg_send(&reply, self->sock);

    zframe_destroy(&client_key);
    zframe_destroy(&routing_id);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&mechanism);
}

void broker_auth_serve(broker_auth_t *self, int64_t now_ms)
{
    /* Drained until EAGAIN: the loop sleeps on the socket's edge-triggered descriptor. */
    while (true) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        zmsg_t *request = zmsg_new();
        bool more = true, got = false;
        while (more && zmq_msg_recv(&part, self->handle, got ? 0 : ZMQ_DONTWAIT) >= 0) {
            got = true;
            zmsg_addmem(request, zmq_msg_data(&part), zmq_msg_size(&part));
            more = zmq_msg_more(&part);
        }
        zmq_msg_close(&part);
        if (!got) {
            zmsg_destroy(&request);
            return;
        }
        s_answer(self, request, now_ms);
        zmsg_destroy(&request);
    }
}
