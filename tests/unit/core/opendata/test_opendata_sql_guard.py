"""datastore_search_sql's checks: one SELECT over datastore tables, allow-listed functions, sqlglot's rendering."""

from __future__ import annotations

import pytest

from core.opendata.sqlsearch import SqlRefused, check

ALLOWED = [
    ('select * from "r1"', ["r1"]),
    ('select "站", count(*), round(avg("AQI"), 1) from "r1" group by "站" order by 2 desc limit 5', ["r1"]),
    ("select a from r1 union select a from datastore.r2", ["r1", "r2"]),
    ("with t as (select * from r1) select lower(a), date_trunc('month', d) from t", ["r1"]),
    ("select a from r1 where a in (select a from r2) and b ilike '%x%'", ["r1", "r2"]),
    ("select row_number() over (order by a), coalesce(b, 0), a::int from r1", ["r1"]),
]


@pytest.mark.parametrize(("sql", "tables"), ALLOWED)
def test_reads_of_datastore_tables_pass(sql: str, tables: list[str]) -> None:
    rendered, found = check(sql)
    assert found == tables
    assert all(f"datastore.{t}" in rendered or f'datastore."{t}"' in rendered for t in tables)


REFUSED = [
    ("select pg_sleep(1) from r1", "pg_sleep"),
    ("select set_config('a', 'b', false) from r1", "set_config"),
    ("select * from pg_catalog.pg_class", "not a datastore table"),
    ("select * from public.documents", "not a datastore table"),
    ("select * from db.datastore.r1", "not a datastore table"),
    ("select 1", "at least one"),
    ("select * from r1; select * from r2", "one statement"),
    ("update r1 set a = 1", "only SELECT"),
    ("drop table r1", "only SELECT"),
    ("select * into t2 from r1", "SELECT INTO"),
    ("select * from r1 for share", "locking"),
    ("select * from dblink('x', 'select 1') as t(a int)", "dblink"),
    ("select lo_export(1, '/tmp/x') from r1", "lo_export"),
    ("select (select current_setting('x')) from r1", "current_setting"),
    ("select txid_current() from r1", "txid_current"),
    ("", "Missing value"),
    ("select " + "a," * 20000 + "a from r1", "at most"),
    ("select * from", "cannot parse"),
]


@pytest.mark.parametrize(("sql", "says"), REFUSED)
def test_anything_else_is_refused(sql: str, says: str) -> None:
    with pytest.raises(SqlRefused) as caught:
        check(sql)
    assert says in caught.value.message
