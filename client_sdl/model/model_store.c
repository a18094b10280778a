/* model_store.c - the model's data: friends, friend requests, threads and their messages.
 *
 * A thread's messages are one array: the committed ones sorted by seq (the server's order, the
 * only order both members agree on), then my messages still sending or failed, in the order I
 * sent them. Every message that comes in - a push (1019), my own ack (1018), a history page
 * (1030) or a sync (1032) - goes through model_msg_merge(), which places it by seq, so a
 * message that arrives twice (a push and a sync after a reconnect, a retried send the server
 * deduplicated) is held once, and my sending copy is replaced by the committed one through its
 * unique_id. UI thread only.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *model_strdup(const char *s)
{
    s = s ? s : "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Replaces *DST by a copy of SRC; keeps the old string when out of memory. */
/* Room for one more element in a growing array of N elements of ELEM bytes (capacity *CAP,
 * doubled when full, FIRST to begin with): 0, or -1 with the array as it was. */
static int s_reserve(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : first;
    void *grown = realloc(*arr, want * elem);
    if (!grown)
        return -1;
    *arr = grown;
    *cap = want;
    return 0;
}

static void s_set(char **dst, const char *src)
{
    char *d = model_strdup(src);
    if (!d)
        return;
    free(*dst);
    *dst = d;
}

void model_user_set(app_user_t *u, const uschat_user_t *src)
{
    u->uid = src->uid;
    s_set(&u->name, src->name);
    s_set(&u->nick, src->nick);
    s_set(&u->email, src->email);
    s_set(&u->desc, src->desc);
    s_set(&u->icon, src->icon);
    s_set(&u->back, src->back);
    u->sex = src->sex;
}

void model_user_free(app_user_t *u)
{
    free(u->name);
    free(u->nick);
    free(u->email);
    free(u->desc);
    free(u->icon);
    free(u->back);
    memset(u, 0, sizeof *u);
}

const char *model_user_name(const app_user_t *u)
{
    if (u->back && *u->back) /* my remark name for a friend comes first */
        return u->back;
    if (u->nick && *u->nick)
        return u->nick;
    return u->name ? u->name : "";
}

/* ---- friends and requests ------------------------------------------------------------------ */

static int s_friend_cmp(const void *a, const void *b)
{
    const app_user_t *x = a, *y = b;
    int c = strcasecmp(model_user_name(x), model_user_name(y));
    return c ? c : (x->uid > y->uid) - (x->uid < y->uid);
}

void model_friend_put(app_model_t *m, const uschat_user_t *src)
{
    if (src->uid <= 0)
        return;
    app_user_t *f = (app_user_t *)app_model_friend(m, src->uid);
    if (!f) {
        if (s_reserve((void **)&m->friends, &m->friends_cap, m->nfriends, sizeof *m->friends, 16) !=
            0)
            return;
        f = &m->friends[m->nfriends++];
        memset(f, 0, sizeof *f);
    }
    /* a push (1014/1015) carries no back: keep the one we had */
    char *back = f->back ? model_strdup(f->back) : NULL;
    model_user_set(f, src);
    if (back && !*f->back) {
        free(f->back);
        f->back = back;
    } else {
        free(back);
    }
    qsort(m->friends, m->nfriends, sizeof *m->friends, s_friend_cmp);
    m->rows_dirty = true;
}

app_apply_t *model_apply_find(app_model_t *m, int64_t uid)
{
    for (size_t i = 0; i < m->napplies; i++)
        if (m->applies[i].user.uid == uid)
            return &m->applies[i];
    return NULL;
}

app_apply_t *model_apply_put(app_model_t *m, const uschat_user_t *src)
{
    if (src->uid <= 0)
        return NULL;
    app_apply_t *a = model_apply_find(m, src->uid);
    if (a) {
        /* a repeated request moves to the top, as a new one */
        app_apply_t keep = *a;
        memmove(a, a + 1, (size_t)(m->applies + m->napplies - (a + 1)) * sizeof *a);
        memmove(m->applies + 1, m->applies, (m->napplies - 1) * sizeof *a);
        m->applies[0] = keep;
    } else {
        if (s_reserve((void **)&m->applies, &m->applies_cap, m->napplies, sizeof *m->applies, 8) !=
            0)
            return NULL;
        memmove(m->applies + 1, m->applies, m->napplies * sizeof *m->applies);
        m->napplies++;
        memset(&m->applies[0], 0, sizeof m->applies[0]);
    }
    a = &m->applies[0];
    model_user_set(&a->user, src);
    return a;
}

/* ---- threads ------------------------------------------------------------------------------- */

app_thread_t *model_thread_find(const app_model_t *m, int64_t thread_id)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i]->thread_id == thread_id)
            return m->threads[i];
    return NULL;
}

app_thread_t *model_thread_of_peer(const app_model_t *m, int64_t peer)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i]->peer == peer)
            return m->threads[i];
    return NULL;
}

/* The thread with key THREAD_ID, created with PEER when new. */
static app_thread_t *s_thread_get(app_model_t *m, int64_t thread_id, int64_t peer)
{
    app_thread_t *t = model_thread_find(m, thread_id);
    if (t) {
        if (peer > 0 && t->peer != peer) {
            t->peer = peer;
            m->rows_dirty = true;
        }
        return t;
    }
    if (s_reserve((void **)&m->threads, &m->threads_cap, m->nthreads, sizeof *m->threads, 16) != 0)
        return NULL;
    t = calloc(1, sizeof *t);
    if (!t || !(t->preview = model_strdup(""))) {
        free(t);
        return NULL;
    }
    t->thread_id = thread_id;
    t->peer = peer;
    m->threads[m->nthreads++] = t;
    m->rows_dirty = true;
    return t;
}

app_thread_t *model_thread_get(app_model_t *m, int64_t thread_id, int64_t peer)
{
    return thread_id > 0 ? s_thread_get(m, thread_id, peer) : NULL;
}

app_thread_t *model_group_thread(app_model_t *m, int64_t group_id)
{
    if (group_id <= 0)
        return NULL;
    app_thread_t *t = s_thread_get(m, -group_id, 0);
    if (t && !t->group) {
        t->peer = -group_id;
        t->group = calloc(1, sizeof *t->group);
        if (!t->group || !(t->group->name = model_strdup("")) ||
            !(t->group->announcement = model_strdup(""))) {
            model_group_free(t->group); /* the thread stays, and the next call tries again */
            t->group = NULL;
            return NULL;
        }
        t->group->group_id = group_id;
    }
    return t;
}

static void s_msg_free(app_msg_t *msg)
{
    free(msg->unique_id);
    free(msg->content);
    free(msg->event);
    model_file_free(msg->file);
    msg->file = NULL;
}

void model_threads_free(app_model_t *m)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        app_thread_t *t = m->threads[i];
        for (size_t j = 0; j < t->nmsgs; j++)
            s_msg_free(&t->msgs[j]);
        free(t->msgs);
        free(t->preview);
        model_group_free(t->group);
        free(t);
    }
    free(m->threads);
    m->threads = NULL;
    m->nthreads = m->threads_cap = 0;
    m->rows_dirty = true;
}

/* ---- messages ------------------------------------------------------------------------------ */

/* Number of committed messages (the sorted prefix). */
static size_t s_committed(const app_thread_t *t)
{
    size_t n = t->nmsgs;
    while (n > 0 && t->msgs[n - 1].seq == 0)
        n--;
    return n;
}

/* Index of SEQ in the committed prefix, or where it would go (*found false). */
static size_t s_find_seq(const app_thread_t *t, int64_t seq, bool *found)
{
    size_t lo = 0, hi = s_committed(t);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->msgs[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < t->nmsgs && t->msgs[lo].seq == seq;
    return lo;
}

static app_msg_t *s_insert_at(app_thread_t *t, size_t at)
{
    if (s_reserve((void **)&t->msgs, &t->cap, t->nmsgs, sizeof *t->msgs, 32) != 0)
        return NULL;
    memmove(t->msgs + at + 1, t->msgs + at, (t->nmsgs - at) * sizeof *t->msgs);
    t->nmsgs++;
    memset(&t->msgs[at], 0, sizeof t->msgs[at]);
    return &t->msgs[at];
}

static void s_remove_at(app_thread_t *t, size_t at)
{
    s_msg_free(&t->msgs[at]);
    memmove(t->msgs + at, t->msgs + at + 1, (t->nmsgs - at - 1) * sizeof *t->msgs);
    t->nmsgs--;
}

/* Index of my sending/failed message with UNIQUE_ID, or nmsgs. */
static size_t s_find_pending(const app_thread_t *t, const char *unique_id)
{
    if (!unique_id || !*unique_id)
        return t->nmsgs;
    for (size_t i = s_committed(t); i < t->nmsgs; i++)
        if (strcmp(t->msgs[i].unique_id, unique_id) == 0)
            return i;
    return t->nmsgs;
}

static void s_copy_time(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n > 19)
        n = 19;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int model_msg_merge(app_model_t *m, app_thread_t *t, const uschat_chat_msg_t *msg, int64_t sender)
{
    if (msg->seq <= 0)
        return -1;
    if (msg->sender > 0)
        sender = msg->sender;
    size_t pending = sender == m->self.uid ? s_find_pending(t, msg->unique_id) : t->nmsgs;
    bool found;
    size_t at = s_find_seq(t, msg->seq, &found);
    if (found) {
        app_msg_t *known = &t->msgs[at];
        if (msg->message_id)
            known->message_id = msg->message_id;
        if (*msg->chat_time && strcmp(known->chat_time, msg->chat_time) != 0) {
            s_copy_time(known->chat_time, msg->chat_time);
            known->layout_width = 0; /* its clock and day are the UI's cache */
        }
        if (pending < t->nmsgs)
            s_remove_at(t, pending); /* the sync brought it before the ack did */
        return 0;
    }
    char *content = NULL, *unique_id = NULL;
    app_file_t *file = NULL;
    bool was_pending = pending < t->nmsgs;
    if (was_pending) {
        /* my message, committed: take it out of the sending tail, keep its strings */
        app_msg_t *p = &t->msgs[pending];
        content = p->content;
        unique_id = p->unique_id;
        file = p->file;
        p->content = p->unique_id = NULL;
        p->file = NULL;
        model_file_update(file, &msg->file);
        s_remove_at(t, pending);
        if (*msg->content) {
            free(content);
            content = model_strdup(msg->content);
        }
    } else {
        content = model_strdup(msg->content);
        unique_id = model_strdup(msg->unique_id);
        /* a picture or file that names none shows as its text ("[Image]") */
        if ((msg->kind == USCHAT_MSG_IMAGE || msg->kind == USCHAT_MSG_FILE) && msg->file.file_id &&
            *msg->file.file_id) {
            file = model_file_new(&msg->file);
            model_file_found(m, file);
        }
    }
    bool file_ok = file || !(msg->kind == USCHAT_MSG_IMAGE || msg->kind == USCHAT_MSG_FILE) ||
                   !msg->file.file_id || !*msg->file.file_id;
    app_msg_t *n = (content && unique_id && file_ok) ? s_insert_at(t, at) : NULL;
    if (!n) {
        free(content);
        free(unique_id);
        model_file_free(file);
        return -1;
    }
    n->kind = file ? msg->kind : USCHAT_MSG_TEXT;
    n->file = file;
    n->message_id = msg->message_id;
    n->seq = msg->seq;
    n->sender = sender;
    n->content = content;
    n->unique_id = unique_id;
    s_copy_time(n->chat_time, msg->chat_time);
    n->state = APP_MSG_SENT;
    if (msg->seq > t->last_seq)
        t->last_seq = msg->seq;
    return was_pending ? 0 : 1;
}

app_msg_t *model_msg_at_seq(app_thread_t *t, int64_t seq)
{
    bool found;
    size_t at = s_find_seq(t, seq, &found);
    return found ? &t->msgs[at] : NULL;
}

app_msg_t *model_msg_add_pending(app_thread_t *t, int64_t sender, const char *content, size_t len,
                                 const char *unique_id, const char *chat_time)
{
    char *c = malloc(len + 1);
    char *u = model_strdup(unique_id);
    app_msg_t *n = (c && u) ? s_insert_at(t, t->nmsgs) : NULL;
    if (!n) {
        free(c);
        free(u);
        return NULL;
    }
    memcpy(c, content, len);
    c[len] = '\0';
    n->sender = sender;
    n->content = c;
    n->unique_id = u;
    s_copy_time(n->chat_time, chat_time);
    n->state = APP_MSG_SENDING;
    return n;
}

app_msg_t *model_msg_oldest_sending(app_thread_t *t)
{
    /* a file message still uploading is not on the wire: no answer can be its */
    for (size_t i = s_committed(t); i < t->nmsgs; i++)
        if (t->msgs[i].state == APP_MSG_SENDING && model_msg_ready(&t->msgs[i]))
            return &t->msgs[i];
    return NULL;
}

void model_msg_fail_oldest(app_thread_t *t, int error)
{
    app_msg_t *msg = model_msg_oldest_sending(t);
    if (msg) {
        msg->state = APP_MSG_FAILED;
        msg->error = error;
        msg->layout_width = 0;
    }
}

int64_t model_thread_max_seq(const app_thread_t *t)
{
    size_t n = s_committed(t);
    return n ? t->msgs[n - 1].seq : 0;
}

int64_t model_thread_gapless_seq(const app_thread_t *t)
{
    size_t n = s_committed(t);
    for (size_t i = 1; i < n; i++)
        if (t->msgs[i].seq != t->msgs[i - 1].seq + 1)
            return t->msgs[i - 1].seq;
    return n ? t->msgs[n - 1].seq : 0;
}

void model_thread_set_preview(app_model_t *m, app_thread_t *t, const char *content,
                              const char *chat_time, int64_t sender)
{
    s_set(&t->preview, content);
    s_copy_time(t->preview_time, chat_time ? chat_time : "");
    t->preview_sender = sender;
    m->rows_dirty = true;
}

void model_thread_touch(app_model_t *m, app_thread_t *t)
{
    if (t->nmsgs == 0)
        return;
    const app_msg_t *last = &t->msgs[t->nmsgs - 1];
    if (strcmp(last->content, t->preview) == 0 && strcmp(last->chat_time, t->preview_time) == 0)
        return;
    /* only a message at least as new as the preview replaces it (history pages do not) */
    if (*t->preview_time && strcmp(last->chat_time, t->preview_time) < 0 &&
        last->state == APP_MSG_SENT)
        return;
    model_thread_set_preview(m, t, last->content, last->chat_time, last->sender);
    t->activity = ++m->activity;
}

/* ---- the chat list ------------------------------------------------------------------------- */

static int s_thread_cmp(const void *a, const void *b)
{
    const app_thread_t *x = *(app_thread_t *const *)a, *y = *(app_thread_t *const *)b;
    int c = strcmp(y->preview_time, x->preview_time); /* newest first; "" (none) last */
    if (c)
        return c;
    if (x->activity != y->activity)
        return x->activity < y->activity ? 1 : -1;
    return (x->thread_id < y->thread_id) - (x->thread_id > y->thread_id);
}

static void s_rows_build(app_model_t *m)
{
    size_t need = m->nthreads + m->nfriends;
    if (need > m->rows_cap) {
        app_chat_row_t *n = realloc(m->rows, need * sizeof *n);
        if (!n) {
            m->nrows = 0;
            return;
        }
        m->rows = n;
        m->rows_cap = need;
    }
    app_thread_t **sorted = malloc((m->nthreads ? m->nthreads : 1) * sizeof *sorted);
    if (!sorted) {
        m->nrows = 0;
        return;
    }
    if (m->nthreads) /* no threads yet: m->threads is still NULL */
        memcpy(sorted, m->threads, m->nthreads * sizeof *sorted);
    qsort(sorted, m->nthreads, sizeof *sorted, s_thread_cmp);
    size_t n = 0;
    for (size_t i = 0; i < m->nthreads; i++)
        m->rows[n++] =
            (app_chat_row_t){sorted[i], app_model_friend(m, sorted[i]->peer), sorted[i]->peer};
    free(sorted);
    for (size_t i = 0; i < m->nfriends; i++)
        if (!model_thread_of_peer(m, m->friends[i].uid))
            m->rows[n++] = (app_chat_row_t){NULL, &m->friends[i], m->friends[i].uid};
    m->nrows = n;
    m->rows_dirty = false;
}

size_t app_model_chat_count(const app_model_t *m)
{
    if (m->rows_dirty)
        s_rows_build((app_model_t *)m);
    return m->nrows;
}

app_chat_row_t app_model_chat_at(const app_model_t *m, size_t i)
{
    if (m->rows_dirty)
        s_rows_build((app_model_t *)m);
    return i < m->nrows ? m->rows[i] : (app_chat_row_t){NULL, NULL, 0};
}

const app_thread_t *app_model_thread(const app_model_t *m, int64_t thread_id)
{
    return model_thread_find(m, thread_id);
}

int64_t model_unread_total(const app_model_t *m)
{
    int64_t n = 0;
    for (size_t i = 0; i < m->nthreads; i++)
        n += m->threads[i]->unread;
    return n;
}
