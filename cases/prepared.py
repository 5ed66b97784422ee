"""Server-side prepared statements for the hottest reads (the case list and detail).

PostgreSQL took 5-15 ms to plan the case list's join of six tables (bench/cases_api.py), ten times what it
took to run it; psycopg2 has no prepared statements of its own. Inside `prepared_statements()`, each
query's SQL is sent once per connection as `PREPARE` and then run as `EXECUTE` with its parameters: the
server parses it once and, after a few runs, keeps a generic plan when that is no worse (PostgreSQL's
`plan_cache_mode = auto`). The SQL and results are Django's own; only how they travel changes. Needs a
session per connection: no transaction-pooling proxy (PgBouncer in transaction mode) in between.
"""

import re
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from django.db import connections

# Statements prepared on each open database connection: SQL → name. A new connection (reconnect, or
# the old one closed after CONN_MAX_AGE) is a new key, so nothing is assumed prepared on it.
_prepared: "weakref.WeakKeyDictionary[Any, dict[str, str]]" = weakref.WeakKeyDictionary()
# Every distinct SQL text is a statement kept by the server for the connection's life: bound them.
MAX_STATEMENTS = 200
_PLACEHOLDER = re.compile(r"%[s%]")


def server_sql(sql: str) -> str:
    """Django's SQL (psycopg2 style: %s parameters, %% for a percent sign) with $1..$n parameters."""
    numbers = count(1)
    return _PLACEHOLDER.sub(lambda match: f"${next(numbers)}" if match.group() == "%s" else "%", sql)


def _execute(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    raw = context["connection"].connection
    if many or not params or raw is None:
        return execute(sql, params, many, context)
    statements = _prepared.setdefault(raw, {})
    name = statements.get(sql)
    if name is None:
        if len(statements) >= MAX_STATEMENTS:
            return execute(sql, params, many, context)
        name = f"dcc_{len(statements) + 1}"
        execute(f"PREPARE {name} AS {server_sql(sql)}", None, False, context)
        statements[sql] = name
    return execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params, many, context)


@contextmanager
def prepared_statements(using: str = "default") -> Iterator[None]:
    """Run the queries of the block as prepared statements (PostgreSQL only; elsewhere as they are)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.execute_wrapper(_execute):
        yield
