-- The sql.js runtime workload: build, index, aggregate, join, update and sort about 50,000
-- rows in one connection. Run with sqlite3_exec (sql.js: Database.run). After the marker
-- line below comes the checksum query, run separately; its value must be the same for every
-- variant of the module.
PRAGMA temp_store = MEMORY;
BEGIN;
CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
INSERT INTO t(a, b, c)
  SELECT (i * 7919) % 1000, printf('name-%05d', (i * 104729) % 50000), i * 0.5 FROM n;
CREATE INDEX t_a ON t(a);
CREATE TABLE u AS SELECT a, count(*) AS n, sum(c) AS s, max(b) AS mb FROM t GROUP BY a;
CREATE TABLE j AS SELECT count(*) AS n FROM t JOIN u ON t.a = u.a WHERE t.b LIKE '%7%';
UPDATE t SET c = c * 1.5 WHERE a % 3 = 0;
DELETE FROM t WHERE a % 10 = 9;
CREATE TABLE o AS SELECT b, c FROM t ORDER BY b DESC, c LIMIT 100 OFFSET 1000;
CREATE TABLE g AS
  SELECT a, avg(c) AS m, group_concat(substr(b, 6, 2), '') AS s FROM t GROUP BY a
  HAVING count(*) > 10;
CREATE TABLE v AS SELECT t.id, u.s FROM t, u WHERE t.a = u.a AND t.id % 5 = 0;
CREATE INDEX v_s ON v(s);
COMMIT;
-- checksum
SELECT (SELECT count(*) FROM t) || ':' || (SELECT sum(a) FROM t) || ':' ||
  (SELECT round(sum(c), 3) FROM t) || ':' || (SELECT n FROM j) || ':' ||
  (SELECT count(*) FROM v) || ':' || (SELECT round(sum(s), 3) FROM u) || ':' ||
  (SELECT sum(length(s)) FROM g) || ':' || (SELECT min(b) FROM o);
