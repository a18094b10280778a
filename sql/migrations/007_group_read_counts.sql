-- 007: the read counts of a group's messages ("Read by 12", 1100). A count is the members whose
-- join_seq < seq <= read_seq; this index lets one request read only the members whose mark is
-- at or past the first seq asked (a range of the index, never the whole group), and carries
-- join_seq so the rows themselves are not read. Applied by tools/lib/migrate.sh.
CREATE INDEX IF NOT EXISTS idx_group_member_read ON group_member (group_id, read_seq, join_seq);
