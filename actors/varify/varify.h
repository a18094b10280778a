/* varify.h - the varify service: verification codes for registration and password reset.
 *
 * Answers VARIFY_GET_CODE (make a 6-digit code, store it in Redis with a TTL, mail it) and
 * VARIFY_CHECK (is this the live code; count wrong tries; use it up), both with VARIFY_RESULT
 * (schema/messages/varify.def). Mail goes out through libcurl SMTP, or into one file per mail
 * in a folder when no SMTP server is configured. Redis and SMTP work runs on a small worker
 * pool, never on the actor's loop thread. Config: section varify (config/varify.conf).
 *
 * Started by uschatd (or a test) with zactor_new(varify_actor, service_args_t *).
 */
#ifndef USCHAT_VARIFY_H
#define USCHAT_VARIFY_H

#include <czmq.h>

void varify_actor(zsock_t *pipe, void *args);

#endif
