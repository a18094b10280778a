/* varify_internal.h - the parts of the varify service (varify_actor.c, varify_store.c,
 * varify_mail.c) and what they share. Not for other services.
 */
#ifndef USCHAT_VARIFY_INTERNAL_H
#define USCHAT_VARIFY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/redis_conn.h"

/* The client error codes varify answers with: USCHAT_ERR_* (schema/messages/errors.def). */
#include "uschat/client_proto.h"

#define VARIFY_CODE_LEN 6

typedef struct {
    int code_ttl_s; /* lifetime of a code */
    int resend_s;   /* no new code for the same email sooner than this */
    int max_tries;  /* wrong tries that void a code */
} varify_policy_t;

/* ---- varify_store.c: the codes in Redis (worker threads) ------------------------------- */

/* Makes a new code for email (normalized) and stores it with its TTL, unless one was made less
 * than resend_s ago. Returns USCHAT_ERR_SUCCESS with code (VARIFY_CODE_LEN + 1 bytes),
 * USCHAT_ERR_RATE_LIMITED or USCHAT_ERR_RPC (Redis unreachable). */
uint32_t varify_store_issue(redis_conn_t *redis, const varify_policy_t *policy, const char *email,
                            char code[VARIFY_CODE_LEN + 1]);
/* Takes back a code that could not be mailed: the code and the resend block go, so nothing is
 * left behind and the user may ask again at once. Only if the live code is still this one. */
void varify_store_withdraw(redis_conn_t *redis, const char *email, const char *code);
/* USCHAT_ERR_SUCCESS when code is the live code of email (then used up if consume),
 * USCHAT_ERR_CODE_EXPIRED when there is none, USCHAT_ERR_CODE_WRONG when it differs (the try is
 * counted; max_tries wrong tries void the code), USCHAT_ERR_RPC when Redis cannot be reached. */
uint32_t varify_store_check(redis_conn_t *redis, const varify_policy_t *policy, const char *email,
                            const char *code, bool consume);

/* ---- varify_mail.c: composing and sending the mail (worker threads) -------------------- */

typedef struct {
    const char *smtp_url;      /* smtp://host:port or smtps://host:port; "" = write files */
    const char *smtp_user;     /* "" = no login */
    const char *smtp_password; /* secret: prefer USCHAT_VARIFY_SMTP_PASSWORD */
    const char *starttls;      /* smtp://: "try" (default), "require" or "off" */
    const char *ca_file;       /* "" = the system's CAs */
    bool insecure;             /* do not verify the server certificate (tests only) */
    const char *from;          /* "UsChat <no-reply@uschat.local>" */
    const char *mail_dir;      /* where mail files go without SMTP */
    int timeout_ms;            /* whole SMTP transaction */
    int code_ttl_s;            /* quoted in the text */
} varify_mail_config_t;

/* Global libcurl set-up; safe to call from every actor start (runs once). 0 or -1. */
int varify_mail_global_init(void);

/* The whole RFC 5322 message (CRLF lines; subject and body in Chinese and English; the body
 * quoted-printable, so it is 7-bit clean and its ASCII lines, the code among them, read as
 * they are). Caller frees. NULL when out of memory. */
char *varify_mail_compose(const varify_mail_config_t *cfg, const char *to, const char *code);

/* Sends (or writes) the mail. 0, or -1 with a reason in err (never containing the code). */
int varify_mail_send(const varify_mail_config_t *cfg, const char *to, const char *code, char *err,
                     size_t err_cap);

/* "a***@example.com": enough to follow a request in the logs without spelling out an
 * address. out must hold ACCOUNT_EMAIL_MAX + 1 bytes. */
void varify_mask_email(const char *email, char *out, size_t cap);

#endif
