-- 006: avatars. A user's picture is a file of the files service the user uploaded; `icon`
-- keeps carrying the string every body has always carried ("file:<id>:<size>:<sha256>" for a
-- picture, see docs/protocol.md 1086), and avatar_file names the file by its id, indexed, so
-- that file_may_read() finds a current avatar without scanning the users. Replacing or
-- clearing the avatar changes avatar_file, and the old picture is then readable only by the
-- rules of 005 again. Applied by tools/lib/migrate.sh.

ALTER TABLE `user`
    ADD COLUMN IF NOT EXISTS avatar_file CHAR(32) CHARACTER SET ascii NULL DEFAULT NULL,
    ADD KEY IF NOT EXISTS idx_user_avatar (avatar_file);

DELIMITER //

-- file_may_read() of 005, and: any user may read a file that is some user's current avatar.
-- Whoever can see a user (a friend, a member of a common group, anyone who searches the user's
-- name) sees the avatar, and search reaches every user, so the rule needs no relation between
-- the two; it reaches no other file.
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
                    WHERE m.file_id = p_file AND m.seq > g.join_seq)
        OR (p_uid > 0 AND EXISTS (SELECT 1 FROM `user` FORCE INDEX (idx_user_avatar)
                                   WHERE avatar_file = p_file));
END//

DELIMITER ;
