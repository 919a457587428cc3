"""datastore_search_sql: one SELECT over datastore tables only, checked with sqlglot, run read-only with a timeout.

The statement is parsed (Postgres dialect) and refused unless it is a single query (SELECT, or a UNION of them)
whose every table is a loaded resource's (no schema named, or `datastore`), with no SELECT INTO, no locking
clause, and no function outside ALLOWED (so no pg_sleep, set_config, dblink, pg_read_file, lo_* ...). What runs
is sqlglot's own rendering of the checked tree (not the text sent), in a READ ONLY transaction with SET LOCAL
statement_timeout and search_path = datastore.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from core.errors import Invalid

MAX_SQL = 20_000
MAX_ROWS = 32000
ALLOWED = frozenset(
    {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "stddev",
        "variance",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "every",
        "lower",
        "upper",
        "length",
        "char_length",
        "substring",
        "substr",
        "trim",
        "ltrim",
        "rtrim",
        "btrim",
        "replace",
        "concat",
        "concat_ws",
        "left",
        "right",
        "position",
        "strpos",
        "split_part",
        "initcap",
        "lpad",
        "rpad",
        "reverse",
        "starts_with",
        "to_char",
        "to_number",
        "to_date",
        "to_timestamp",
        "abs",
        "round",
        "ceil",
        "ceiling",
        "floor",
        "trunc",
        "sqrt",
        "power",
        "pow",
        "mod",
        "sign",
        "ln",
        "log",
        "log10",
        "exp",
        "greatest",
        "least",
        "nullif",
        "coalesce",
        "date_trunc",
        "date_part",
        "extract",
        "age",
        "cast",
        "try_cast",
        "if",
        "case",
        "round_decimal",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        "percentile_cont",
        "percentile_disc",
        "mode",
        "unnest",
        "anyvalue",
        "any_value",
        "currentdate",
        "currenttimestamp",
        "current_date",
        "current_timestamp",
        "now",
    }
)
# sqlglot's names of some expressions, as the SQL function they stand for
ALIASES = {
    "stddev_samp": "stddev",
    "variance_samp": "variance",
    "group_concat": "string_agg",
    "timestamp_trunc": "date_trunc",
    "time_to_str": "to_char",
    "str_to_date": "to_date",
    "unix_to_time": "to_timestamp",
    "str_position": "strpos",
    "logical_and": "bool_and",
    "logical_or": "bool_or",
    "explode": "unnest",
    "pad": "lpad",
    "mod": "mod",
}
# expression classes that are syntax rather than calls: always fine
# (operators such as AND, ~, @> and -> are Func nodes to sqlglot: built-in and free of side effects)
SYNTAX = (
    exp.Cast,
    exp.Case,
    exp.If,
    exp.Extract,
    exp.Coalesce,
    exp.Paren,
    exp.Window,
    exp.Count,
    exp.Binary,
    exp.Unary,
)


class SqlRefused(Invalid):
    """A datastore_search_sql statement that is not a plain read of datastore tables."""


def _name(func: exp.Func) -> str:
    name = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
    return ALIASES.get(name.lower(), name.lower())


def check(sql: str) -> tuple[str, list[str]]:
    """The SQL to run and the table names it reads; SqlRefused saying why it will not run."""
    if not isinstance(sql, str) or not sql.strip():
        raise SqlRefused("sql: Missing value")
    if len(sql) > MAX_SQL:
        raise SqlRefused(f"sql: at most {MAX_SQL} characters")
    try:
        trees = [t for t in sqlglot.parse(sql, read="postgres") if t is not None]
    except ParseError as exc:
        raise SqlRefused(f"sql: cannot parse: {str(exc).splitlines()[0][:200]}") from None
    if len(trees) != 1:
        raise SqlRefused("sql: exactly one statement, please")
    tree = trees[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise SqlRefused(f"sql: only SELECT statements are allowed, not {type(tree).__name__.upper()}")
    for node in tree.walk():
        if isinstance(node, exp.Expression):
            _check_node(node)
    tables = _tables(tree)
    return tree.sql(dialect="postgres"), tables


def _tables(tree: exp.Expression) -> list[str]:
    """The datastore tables read (each set to schema datastore in the tree); CTE names are not tables."""
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = []
    for table in tree.find_all(exp.Table):
        if table.catalog or (table.db and table.db != "datastore"):
            raise SqlRefused(f"sql: table {table.sql(dialect='postgres')} is not a datastore table")
        if table.name in ctes and not table.db:
            continue
        tables.append(table.name)
        table.set("db", exp.to_identifier("datastore"))
    if not tables:
        raise SqlRefused("sql: name at least one datastore resource table")
    return sorted(set(tables))


def _check_node(node: exp.Expression) -> None:
    if isinstance(node, exp.Into | exp.Lock):
        raise SqlRefused("sql: SELECT INTO and locking clauses are not allowed")
    if isinstance(node, exp.Command | exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop):
        raise SqlRefused("sql: only SELECT statements are allowed")
    if isinstance(node, exp.Func) and not isinstance(node, SYNTAX):
        name = _name(node)
        if name not in ALLOWED:
            raise SqlRefused(f"sql: function {name!r} is not allowed")


def as_records(rows: list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]
