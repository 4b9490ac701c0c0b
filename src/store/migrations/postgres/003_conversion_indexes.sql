-- 003_conversion_indexes.sql: drops the indexes of conversion that no
-- query uses, as migrations/sqlite/003 (read it for the measurements).
-- Conversions are read by id, by their unique key (program, event_type,
-- order_id), and listed in id order.

DROP INDEX IF EXISTS conversion_click;
DROP INDEX IF EXISTS conversion_campaign;
DROP INDEX IF EXISTS conversion_partner;
