-- 005: image and file messages. A message has a kind (0 text, 1 image, 2 file; in a group also
-- 3, an event: events move from 1 to 3 so one number means one kind in every conversation) and
-- an image or file message names its file (the files service's `file` row) by file_id, an
-- indexed column: the files service finds who may download a file through it (file_may_read
-- below) instead of scanning message contents. Applied by tools/lib/migrate.sh.
--
-- width, height and preview (what the sender's client made of an image) are stored PER
-- MESSAGE, beside file_id, not once on the `file` row: the text batch's single INSERT stores
-- them with the message (no extra statement in its two-round-trip transaction, and a text row
-- pays only its NULLs), a message is stored once and never updated, and what a reader gets is
-- exactly what its sender sent. name, size, sha256 and mime are not copied: readers join the
-- `file` row for them (the files service's record, never the client's word).

ALTER TABLE chat_message
    ADD COLUMN IF NOT EXISTS kind TINYINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS file_id CHAR(32) CHARACTER SET ascii NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS width SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS height SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS preview TEXT CHARACTER SET ascii NULL DEFAULT NULL,
    ADD KEY IF NOT EXISTS idx_message_file (file_id);

ALTER TABLE chat_message DROP CONSTRAINT IF EXISTS ck_message_file;
ALTER TABLE chat_message
    ADD CONSTRAINT ck_message_file CHECK (kind IN (0, 1, 2) AND (kind = 0) = (file_id IS NULL));

-- The group's events become kind 3 (before: 1). file_id is NULL on every row that existed
-- before this migration, so a repeated run never turns an image into an event.
ALTER TABLE group_message
    DROP CONSTRAINT IF EXISTS ck_group_message_kind,
    DROP CONSTRAINT IF EXISTS ck_group_message_unique,
    DROP CONSTRAINT IF EXISTS ck_group_message_file;
ALTER TABLE group_message
    ADD COLUMN IF NOT EXISTS file_id CHAR(32) CHARACTER SET ascii NULL DEFAULT NULL,
    ADD COLUMN IF NOT EXISTS width SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS height SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS preview TEXT CHARACTER SET ascii NULL DEFAULT NULL,
    ADD KEY IF NOT EXISTS idx_group_message_file (file_id);
UPDATE group_message SET kind = 3 WHERE kind = 1 AND file_id IS NULL;
ALTER TABLE group_message
    ADD CONSTRAINT ck_group_message_kind CHECK (kind IN (0, 1, 2, 3)),
    ADD CONSTRAINT ck_group_message_unique CHECK ((kind = 3) = (unique_id IS NULL)),
    ADD CONSTRAINT ck_group_message_file CHECK ((kind IN (1, 2)) = (file_id IS NOT NULL));

DELIMITER //

-- Whether p_uid may read file p_file: the uploader; the sender or recipient of a one-to-one
-- message naming it; a current member of a group with a message naming it after the member's
-- join (seq > join_seq: what the member can read; a member who left or was removed has no
-- group_member row). The one rule for both who may download (the files service) and who may
-- send it on (the chat node: the uploader, or anyone it was sent to, forwards it). Every
-- lookup goes through an index on file_id.
CREATE OR REPLACE FUNCTION file_may_read(p_file CHAR(32) CHARACTER SET ascii, p_uid BIGINT)
    RETURNS TINYINT
    READS SQL DATA
    SQL SECURITY INVOKER
BEGIN
    RETURN EXISTS (SELECT 1 FROM file WHERE id = p_file AND owner = p_uid)
        OR EXISTS (SELECT 1 FROM chat_message FORCE INDEX (idx_message_file)
                    WHERE file_id = p_file AND (sender_id = p_uid OR recv_id = p_uid))
        OR EXISTS (SELECT 1 FROM group_message m FORCE INDEX (idx_group_message_file)
                     JOIN group_member g ON g.group_id = m.group_id AND g.uid = p_uid
                    WHERE m.file_id = p_file AND m.seq > g.join_seq);
END//

-- chat_text_store() of 004 with the file columns: p_rows = [[thread, seq, sender, recv,
-- unique_id, content], ...] for a text, [..., content, kind, file_id, width, height, preview]
-- for an image or file (a path past a text's six elements reads as NULL: kind 0, no file).
CREATE OR REPLACE PROCEDURE chat_text_store(IN p_now DATETIME,
                                            IN p_rows LONGTEXT CHARACTER SET utf8mb4,
                                            IN p_seqs LONGTEXT CHARACTER SET utf8mb4)
    SQL SECURITY INVOKER
BEGIN
    DECLARE v_first BIGINT DEFAULT 0;
    DECLARE v_count BIGINT DEFAULT 0;
    IF JSON_LENGTH(p_rows) > 0 THEN
        INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content, status,
                                  created_at, kind, file_id, width, height, preview)
        SELECT j.t, j.s, j.f, j.r, j.u, j.c, 0, p_now, COALESCE(j.k, 0), j.fi,
               COALESCE(j.w, 0), COALESCE(j.h, 0), j.p
          FROM JSON_TABLE(p_rows, '$[*]' COLUMNS (t BIGINT PATH '$[0]', s BIGINT PATH '$[1]',
                          f BIGINT PATH '$[2]', r BIGINT PATH '$[3]',
                          u VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$[4]',
                          c VARCHAR(4096) CHARACTER SET utf8mb4 PATH '$[5]',
                          k TINYINT PATH '$[6]', fi CHAR(32) CHARACTER SET ascii PATH '$[7]',
                          w INT PATH '$[8]', h INT PATH '$[9]',
                          p TEXT CHARACTER SET ascii PATH '$[10]')) AS j;
        SET v_count = ROW_COUNT(), v_first = LAST_INSERT_ID();
    END IF;
    UPDATE JSON_TABLE(p_seqs, '$[*]' COLUMNS (id BIGINT PATH '$[0]', s BIGINT PATH '$[1]')) AS j
           STRAIGHT_JOIN chat_thread t FORCE INDEX (PRIMARY) ON t.id = j.id
       SET t.last_seq = j.s;
    COMMIT;
    SELECT v_first, v_count;
END//

DELIMITER ;
