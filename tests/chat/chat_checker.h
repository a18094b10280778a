/* chat_checker.h - the message guarantees checked end to end, under churn and faults, against
 * the real stack (chat_stack.h).
 *
 * 8 users on two nodes, each a friend of 3 others (12 threads), send bursts of messages (1 to
 * 3 items a request, some long, some with quotes, newlines, Chinese and emoji), every message
 * with its own unique_id, some sent again on purpose. With churn, users go offline for a while
 * and log in again, on either node (the old session is kicked). A user back online sends again
 * what was not acknowledged and syncs every thread after the last seq it holds; at the end
 * everyone is online, sends again until everything is acknowledged, and syncs. Then: every
 * thread's stored seqs are 1..N with no gap and last_seq = N; every acknowledged message is
 * stored exactly once with the acknowledged id and seq, and was received by its peer (push or
 * sync); each sender's messages are stored, acked and pushed in the order they were sent;
 * nothing acknowledged is missing (a message refused with an error, or left unanswered by a
 * session that ended, is sent again later: its place in the order is that of the send that
 * is acknowledged). It prints lost / duplicated / reordered counts, which must
 * all be 0. CHAT_CHECKER_SEED sets the random seed (printed) to replay a run.
 *
 * One run per process, from the main thread: setup, rounds (a fault test injects its fault
 * between them), finish. Every failure ends the test (CHECK).
 */
#ifndef USCHAT_TEST_CHAT_CHECKER_H
#define USCHAT_TEST_CHAT_CHECKER_H

#include <stdbool.h>

#include "chat_stack.h"

/* The users (named tag0..tag7) in st, logged in, and their friendships. */
void checker_setup(chat_stack_t *st, const char *tag);
/* One round: every online user sends. churn: users back from an absence log in again and
 * some log in on the other node; away: some users go offline for a few rounds. A round
 * without churn (while a fault is on) needs no server but the one its user is connected to;
 * refused logins and syncs are counted, not fatal, until checker_finish(). */
void checker_round(bool churn, bool away);
/* Logins go to the other node while avoid is set (the node is down or cut off). */
void checker_avoid_node(int index, bool avoid);
/* Reads what arrives for ms milliseconds. */
void checker_pump(int ms);
/* Everyone back, everything acknowledged (within 60 s), everyone synced; the checks, and a
 * line "NAME: lost 0, duplicated 0, reordered 0, seq gaps 0" when they hold. */
void checker_finish(const char *name);

#endif
