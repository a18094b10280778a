/* varify_actor.c - the varify service actor (varify.h).
 *
 * Its zactor thread runs one zloop (service_base.h): the pipe from the host, the broker client,
 * and the loop_queue through which finished jobs come back. A request is decoded and checked on the
 * loop thread, then handed to the worker pool (Redis and SMTP block); jobs of one email run
 * in order (the pool's per-key lanes), so "consume" and a later "check" of the same email can
 * never overtake each other. The worker posts the job back and the loop thread sends the
 * reply: only the loop thread touches the broker client. A full queue is answered at once
 * with 1018 (busy).
 */
#include "varify.h"

#include <openssl/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "uschat/account_fields.h"
#include "uschat/broker_client.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/redis_conn.h"
#include "uschat/service_base.h"
#include "uschat/service_config.h"
#include "varify_internal.h"

typedef struct {
    service_base_t *base; /* jobs still queued at shutdown answer 1002 without working */
    redis_config_t redis;
    varify_policy_t policy;
    varify_mail_config_t mail;
    uint64_t served;
} self_t;

typedef struct {
    loop_item_t item; /* first: the loop_queue link */
    self_t *self;
    envelope_t request; /* from, corr: whom to answer */
    uint16_t type;
    char email[ACCOUNT_EMAIL_MAX + 1];
    char code[17];
    bool consume;
    uint32_t error; /* the answer */
} job_t;

static void s_job_free(job_t *job)
{
    sodium_memzero(job->code, sizeof job->code);
    free(job);
}

/* ---- worker threads ------------------------------------------------------------------------ */

static void s_get_code(self_t *self, redis_conn_t *redis, job_t *job)
{
    char code[VARIFY_CODE_LEN + 1], masked[ACCOUNT_EMAIL_MAX + 8], err[512];
    varify_mask_email(job->email, masked, sizeof masked);
    job->error = varify_store_issue(redis, &self->policy, job->email, code);
    if (job->error == USCHAT_ERR_RATE_LIMITED) {
        log_info("varify: code for %s refused: one was made less than %d s ago", masked,
                 self->policy.resend_s);
        return;
    }
    if (job->error != USCHAT_ERR_SUCCESS)
        return;
    int64_t start = zclock_mono();
    if (varify_mail_send(&self->mail, job->email, code, err, sizeof err) != 0) {
        /* the user never gets this code: it must not stay valid, nor block a retry */
        varify_store_withdraw(redis, job->email, code);
        log_error("varify: mail to %s not sent, code withdrawn: %s", masked, err);
        job->error = USCHAT_ERR_RPC;
    } else {
        log_info("varify: code for %s %s in %lld ms", masked,
                 *self->mail.smtp_url ? "sent by SMTP" : "written to the mail folder",
                 (long long)(zclock_mono() - start));
    }
    sodium_memzero(code, sizeof code);
}

static void s_job_run(void *arg, void *state)
{
    job_t *job = arg;
    self_t *self = job->self;
    redis_conn_t *redis = state; /* redis_conn_worker_init() */
    if (service_base_stopping(self->base) || !redis)
        job->error = USCHAT_ERR_RPC;
    else if (job->type == MSG_VARIFY_GET_CODE)
        s_get_code(self, redis, job);
    else
        job->error = varify_store_check(redis, &self->policy, job->email, job->code, job->consume);
    sodium_memzero(job->code, sizeof job->code);
    if (service_base_post(self->base, &job->item) != 0)
        s_job_free(job); /* shutting down: nobody to answer */
}

/* ---- loop thread --------------------------------------------------------------------------- */

static void s_answer(self_t *self, const envelope_t *request, uint32_t error, const char *email)
{
    if (request->kind != ENVELOPE_REQUEST)
        return; /* a NOTIFY wants no answer */
    msg_varify_result_t m = {.error = error, .email = (char *)(email ? email : "")};
    uint8_t *body = NULL;
    size_t len = 0;
    if (msg_varify_result_encode(&m, &body, &len) == 0)
        broker_client_reply(service_base_client(self->base), request, MSG_VARIFY_RESULT, body, len);
    free(body);
}

static void s_on_done(loop_item_t *item, void *arg)
{
    self_t *self = arg;
    job_t *job = (job_t *)item;
    s_answer(self, &job->request, job->error, job->email);
    self->served++;
    s_job_free(job);
}

static uint64_t s_email_key(const char *email)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = email; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h | 1; /* never 0: 0 means "no ordering" to the pool */
}

static void s_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    self_t *self = arg;
    const uint8_t *data = *body ? zframe_data(*body) : NULL;
    size_t size = *body ? zframe_size(*body) : 0;
    job_t *job = calloc(1, sizeof *job);
    if (!job) {
        s_answer(self, env, USCHAT_ERR_BUSY, NULL);
        return;
    }
    job->self = self;
    job->request = *env;
    job->type = env->type;
    const char *email = NULL;
    msg_varify_get_code_t get = {0};
    msg_varify_check_t check = {0};
    int rc = -1;
    if (env->type == MSG_VARIFY_GET_CODE) {
        rc = msg_varify_get_code_decode(data, size, &get);
        email = get.email;
    } else if (env->type == MSG_VARIFY_CHECK) {
        rc = msg_varify_check_decode(data, size, &check);
        email = check.email;
        if (rc == 0) {
            snprintf(job->code, sizeof job->code, "%s", check.code);
            job->consume = check.consume;
        }
    } else {
        log_warn("varify: %s of type %u from %s is not for varify; ignored",
                 envelope_kind_name(env->kind), env->type, env->from);
    }
    uint32_t error = USCHAT_ERR_SUCCESS;
    if (rc != 0)
        error = USCHAT_ERR_JSON;
    else if (!account_email_normalize(email, strlen(email), job->email))
        error = USCHAT_ERR_OUT_OF_RANGE;
    msg_varify_get_code_clear(&get);
    msg_varify_check_clear(&check);
    if (error == USCHAT_ERR_SUCCESS) {
        int sub = service_base_submit(self->base, s_email_key(job->email), s_job_run, job);
        if (sub == 0)
            return; /* answered when the job comes back */
        error = USCHAT_ERR_BUSY;
        log_warn("varify: worker queue full, answering busy");
    }
    if (env->type == MSG_VARIFY_GET_CODE || env->type == MSG_VARIFY_CHECK)
        s_answer(self, env, error, NULL);
    s_job_free(job);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void s_self_destroy(self_t **self_p)
{
    self_t *self = *self_p;
    if (!self)
        return;
    /* queued jobs fail fast, and what came back is answered before the client goes */
    service_base_destroy(&self->base);
    free(self);
    *self_p = NULL;
}

static int s_load_config(self_t *self, config_t *cfg)
{
    service_config_redis(cfg, &self->redis);
    self->policy.code_ttl_s = (int)config_int(cfg, "varify/code_ttl_s", 300, 1, 86400);
    self->policy.resend_s = (int)config_int(cfg, "varify/resend_s", 60, 1, 3600);
    self->policy.max_tries = (int)config_int(cfg, "varify/max_tries", 5, 1, 100);
    varify_mail_config_t *m = &self->mail;
    m->smtp_url = config_str(cfg, "varify/smtp_url", "");
    m->smtp_user = config_str(cfg, "varify/smtp_user", "");
    m->smtp_password = config_str(cfg, "varify/smtp_password", "");
    m->starttls = config_str(cfg, "varify/smtp_starttls", "try");
    m->ca_file = config_str(cfg, "varify/smtp_ca_file", "");
    m->insecure = config_bool(cfg, "varify/smtp_insecure", false);
    m->from = config_str(cfg, "varify/mail_from", "UsChat <no-reply@uschat.local>");
    m->mail_dir = config_str(cfg, "varify/mail_dir", "var/mail");
    m->timeout_ms = (int)config_int(cfg, "varify/smtp_timeout_ms", 10000, 100, 120000);
    m->code_ttl_s = self->policy.code_ttl_s;
    if (*m->smtp_url && strncmp(m->smtp_url, "smtp://", 7) != 0 &&
        strncmp(m->smtp_url, "smtps://", 8) != 0) {
        log_error("varify: smtp_url must start with smtp:// or smtps:// (got %s)", m->smtp_url);
        return -1;
    }
    if (strcmp(m->starttls, "try") != 0 && strcmp(m->starttls, "require") != 0 &&
        strcmp(m->starttls, "off") != 0) {
        log_error("varify: smtp_starttls must be try, require or off (got %s)", m->starttls);
        return -1;
    }
    if (strchr(m->from, '\r') || strchr(m->from, '\n')) {
        log_error("varify: mail_from must be one line");
        return -1;
    }
    if (!*m->smtp_url) {
        /* the local default: make the folder so the first mail does not fail */
        char path[512];
        snprintf(path, sizeof path, "%s", m->mail_dir);
        for (char *p = path + 1; *p; p++) {
            if (*p == '/') {
                *p = '\0';
                mkdir(path, 0750);
                *p = '/';
            }
        }
        mkdir(path, 0750);
        struct stat st;
        if (stat(m->mail_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            log_error("varify: mail folder %s cannot be made", m->mail_dir);
            return -1;
        }
    }
    return 0;
}

static self_t *s_self_new(zsock_t *pipe, const service_args_t *args)
{
    self_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    if (sodium_init() < 0 || varify_mail_global_init() != 0 ||
        s_load_config(self, args->config) != 0) {
        free(self);
        return NULL;
    }
    int workers = (int)config_int(args->config, "varify/workers", 2, 1, 64);
    int queue = (int)config_int(args->config, "varify/queue", 256, 1, 100000);
    service_base_config_t base = {.name = "varify",
                                  .workers = workers,
                                  .queue = (size_t)queue,
                                  .worker_init = redis_conn_worker_init,
                                  .worker_fini = redis_conn_worker_fini,
                                  .on_message = s_on_message,
                                  .on_done = s_on_done,
                                  .arg = self,
                                  .worker_arg = &self->redis};
    self->base = service_base_new(pipe, args, &base);
    if (!self->base) {
        s_self_destroy(&self);
        return NULL;
    }
    log_info("varify: ready as node %s; codes live %d s, one per %d s per email, void after %d "
             "wrong tries; mail %s %s",
             broker_client_node(service_base_client(self->base)), self->policy.code_ttl_s,
             self->policy.resend_s, self->policy.max_tries,
             *self->mail.smtp_url ? "by SMTP to" : "into folder",
             *self->mail.smtp_url ? self->mail.smtp_url : self->mail.mail_dir);
    return self;
}

/* curl_global_init() ran on this thread and gave it OpenSSL state, which OpenSSL frees when
 * the thread ends. CZMQ's actor threads are detached: uschatd's main thread may already be in
 * exit(), whose OPENSSL_cleanup() frees the same state, and the thread's own release is then
 * a double free (seen under ASan when SIGTERM came right after the start). Released here,
 * before the actor's last signal lets the main thread go on. */
static void s_thread_end(void)
{
    OPENSSL_thread_stop();
}

void varify_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "varify");
    if (!sargs)
        return;
    self_t *self = s_self_new(pipe, sargs);
    if (!self) {
        service_base_refuse(pipe, "varify");
        s_thread_end();
        return;
    }
    service_base_run(self->base);
    log_info("varify: stopping after %llu requests", (unsigned long long)self->served);
    s_self_destroy(&self);
    s_thread_end();
}
