/* tapcount.h - counts the group pushes the broker routes between chat nodes, from its tap.
 *
 * The broker publishes a copy of every routed message on its tap (schema/include/uschat/tap.h);
 * a node sends one CHAT_GROUP_PUSH per other node with members online for each group message,
 * so the count over a run, divided by the group messages acked, is the broker's cost per group
 * message. A thread of its own subscribes and counts; the scenario reads the count from the
 * main thread.
 */
#ifndef USCHAT_LOAD_TAPCOUNT_H
#define USCHAT_LOAD_TAPCOUNT_H

#include <stdint.h>

typedef struct tapcount tapcount_t;

/* Subscribes to ENDPOINT (tcp://HOST:PORT) and starts counting; waits until the subscription
 * is in place (a first tap message arrived, or 2 s). A broker with CURVE is reached with the
 * monitor's keys of the stack's keys folder (STACK_ENV, the stack.env read, may be NULL; or
 * USCHAT_BROKER_CURVE_* of the environment). NULL on failure. */
tapcount_t *tapcount_start(const char *endpoint, const char *stack_env);
/* CHAT_GROUP_PUSH messages seen so far; *chat_push (may be NULL) gets the CHAT_PUSHes. */
uint64_t tapcount_group_pushes(tapcount_t *t, uint64_t *chat_push);
/* Stops the thread and frees. */
void tapcount_stop(tapcount_t **p);

#endif
