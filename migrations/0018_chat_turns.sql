-- A chat turn in progress holds its conversation until turn_until (unix ms, a lease that
-- outlives any turn), so a second turn on the same conversation is refused with 409
-- instead of interleaving its messages; the turn's own write (or its failure) frees it.
ALTER TABLE assistant_conversations ADD COLUMN turn_until INTEGER;
ALTER TABLE money_chats ADD COLUMN turn_until INTEGER;
