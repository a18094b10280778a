-- 004: the transaction of a batch of text messages (actors/chat/chat_store_text.c) in two
-- calls instead of five round trips: chat_text_lock() opens the transaction and locks the
-- batch's threads, the worker then checks the batch and numbers its messages, and
-- chat_text_store() inserts them, moves last_seq and commits. The SQL is the one the worker
-- sent statement by statement before; values still travel as bound parameters (JSON).
-- CREATE OR REPLACE: repeatable (DDL commits by itself).
DELIMITER //

-- p_threads: the batch's thread ids as a JSON array, ascending. Locks every thread in that
-- order (STRAIGHT_JOIN from the sorted array, FORCE INDEX: row by row), with the pair of each
-- (private_chat) and both friend rows, and returns [id, last_seq, user1, user2, friends both
-- ways]. The transaction stays open: chat_text_store() or a ROLLBACK ends it.
CREATE OR REPLACE PROCEDURE chat_text_lock(IN p_threads LONGTEXT CHARACTER SET utf8mb4)
    SQL SECURITY INVOKER
BEGIN
    START TRANSACTION;
    SELECT STRAIGHT_JOIN t.id, t.last_seq, p.user1_id, p.user2_id,
           f.self_id IS NOT NULL AND g.self_id IS NOT NULL
      FROM JSON_TABLE(p_threads, '$[*]' COLUMNS (id BIGINT PATH '$')) AS j
      JOIN chat_thread t FORCE INDEX (PRIMARY) ON t.id = j.id
      JOIN private_chat p FORCE INDEX (PRIMARY) ON p.thread_id = t.id
      LEFT JOIN friend f FORCE INDEX (PRIMARY) ON f.self_id = p.user1_id AND
                f.friend_id = p.user2_id
      LEFT JOIN friend g FORCE INDEX (PRIMARY) ON g.self_id = p.user2_id AND
                g.friend_id = p.user1_id
       FOR UPDATE;
END//

-- In the transaction chat_text_lock() opened: p_rows = [[thread, seq, sender, recv,
-- unique_id, content], ...] (may be []), p_seqs = [[thread, last_seq], ...]. Inserts the rows
-- in array order (one statement: consecutive ids where innodb_autoinc_lock_mode is 0 or 1),
-- sets last_seq, commits, and returns [first message id, rows inserted]. A failure (a
-- duplicate (sender, unique_id), a deadlock) leaves the transaction open for the caller's
-- ROLLBACK.
CREATE OR REPLACE PROCEDURE chat_text_store(IN p_now DATETIME,
                                            IN p_rows LONGTEXT CHARACTER SET utf8mb4,
                                            IN p_seqs LONGTEXT CHARACTER SET utf8mb4)
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_first BIGINT DEFAULT 0;
    DECLARE v_count BIGINT DEFAULT 0;
    IF JSON_LENGTH(p_rows) > 0 THEN
        INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content, status,
                                  created_at)
        SELECT j.t, j.s, j.f, j.r, j.u, j.c, 0, p_now
          FROM JSON_TABLE(p_rows, '$[*]' COLUMNS (t BIGINT PATH '$[0]', s BIGINT PATH '$[1]',
                          f BIGINT PATH '$[2]', r BIGINT PATH '$[3]',
                          u VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[4]',
                          c VARCHAR(4096) CHARACTER SET utf8mb4 PATH '$[5]')) AS j;
        SET v_count = ROW_COUNT(), v_first = LAST_INSERT_ID();
    END IF;
    UPDATE JSON_TABLE(p_seqs, '$[*]' COLUMNS (id BIGINT PATH '$[0]', s BIGINT PATH '$[1]')) AS j
           STRAIGHT_JOIN chat_thread t FORCE INDEX (PRIMARY) ON t.id = j.id
       SET t.last_seq = j.s;
    COMMIT;
    SELECT v_first, v_count;
END//

DELIMITER ;
