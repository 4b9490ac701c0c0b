-- 003_conversion_indexes.sql: drops the indexes of conversion that no
-- query uses.
--
-- Conversions are read by id, by their unique key (program, event_type,
-- order_id), and listed in id order: the list's filters are optional
-- ("?4 = 0 OR campaign_id = ?4"), so the planner walks the id order and
-- never used conversion_campaign or conversion_partner; nothing looks a
-- conversion up by click_id. Each of the three still cost every insert a
-- B-tree write, and conversion_click, whose keys are spread over the whole
-- index, a page of its own in nearly every commit. Measured with
-- bench/conversions.sh: WAL writes per conversion 5.4 -> 2.4 pwrite calls,
-- the writer thread's CPU per conversion 34 -> 26 us.

DROP INDEX IF EXISTS conversion_click;
DROP INDEX IF EXISTS conversion_campaign;
DROP INDEX IF EXISTS conversion_partner;
