"""The cases app's SQL written by hand, all of it here: statements Django took longer to compile than the
database to run (bench/cases_api.py). Each runs on PostgreSQL (the district profile) and SQLite (the
standalone one), or has a fallback for the other; results are converted as the ORM converts them."""

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, Q

from .models import Case, CaseEscalation, CaseEvent, CasePhoto

Condition = tuple[str, list[Any]]  # SQL on the case table and its parameters


# --------------------------------------------------------------------------------- conditions on cases


def case_column(name: str) -> str:
    """A case field's column, with its table: a scope's joins bring tables with columns of the same names."""
    field: Any = Case._meta.get_field(name)
    return f'"{Case._meta.db_table}"."{field.column}"'


def equals(name: str, value: Any) -> Condition:
    return f"{case_column(name)} = %s", [value]


def among(name: str, values: Sequence[Any]) -> Condition:
    if not values:
        return "1 = 0", []
    return f"{case_column(name)} IN ({', '.join(['%s'] * len(values))})", list(values)


def related_by_key(name: str, table: str, key: str, value: str) -> Condition:
    """The case's `name` relation is the row of `table` whose `key` column is `value`."""
    return f'{case_column(name)} IN (SELECT "id" FROM "{table}" WHERE "{key}" = %s)', [value]  # noqa: S608


def created(operator: str, moment: datetime) -> Condition:
    assert operator in ("<", ">", "<=", ">="), operator
    # SQLite keeps naive UTC text: the parameter as the ORM would write it.
    return f"{case_column('created_at')} {operator} %s", [connection.ops.adapt_datetimefield_value(moment)]


def in_scope(scope: Q) -> Condition | None:
    """The cases matching `scope` (grids/scoping.py) as a subquery; None when the scope is empty."""
    try:
        sql, params = Case.objects.filter(scope).values("pk").query.sql_with_params()
    except EmptyResultSet:  # a scope of nothing
        return None
    return f"{case_column('id')} IN ({sql})", list(params)


# --------------------------------------------------------------------------------- the case list


def case_rows(
    names: Sequence[str], conditions: Sequence[Condition], *, newest_first: bool, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Cases as dicts of the fields `names` (the first is "id"), by creation time then id."""
    columns = [case_column(name) for name in names]
    created_at = case_column("created_at")
    where = " AND ".join(f"({sql})" for sql, _params in conditions) or "1 = 1"
    # Then by id: cases of one creation time keep their order, so a cursor's offset past them holds
    # both ways.
    direction = "DESC" if newest_first else "ASC"
    sql = (
        f'SELECT {", ".join(columns)} FROM "{Case._meta.db_table}" WHERE {where} '  # noqa: S608
        f"ORDER BY {created_at} {direction}, {case_column('id')} {direction} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _sql, params in conditions for value in params] + [limit, offset])
        found = cursor.fetchall()
    converters = _column_converters(connection.vendor, Case, tuple(names))
    return [_converted(dict(zip(names, values, strict=True)), converters) for values in found]


@functools.cache
def _case_by_id_sql() -> str:
    # Compiling this query (every column of the case) cost Django about a millisecond a detail.
    sql, params = Case.objects.filter(pk=0).order_by().query.sql_with_params()
    assert list(params) == [0], params
    return sql


def case_by_id(pk: int) -> Case | None:
    """The case `pk` with every column, by SQL compiled once."""
    return next(iter(Case.objects.raw(_case_by_id_sql(), [pk])), None)


# --------------------------------------------------------------------------------- names and timeline

# What related_names() reads: kind, table and three name columns.
_NAMED = [
    ("category", "cases_category", "code, name, ''"),
    ("grid", "grids_grid", "'', name, ''"),
    ("compound", "grids_compound", "'', name, ''"),
    ("department", "command_center_department", "code, name, ''"),
    ("user", "command_center_user", "username, first_name, last_name"),
]
NAMED_KINDS = [kind for kind, _table, _columns in _NAMED]


def has_array_parameters() -> bool:
    return connection.vendor == "postgresql"


def named_rows(wanted: Sequence[list[int]], *, arrays: bool) -> dict[tuple[str, Any], tuple[str, str, str]]:
    """(kind, id) → three name columns, for the ids of each kind of NAMED_KINDS (in that order), in one
    query. With `arrays` (PostgreSQL) each kind's ids are one array parameter: the SQL is the same for
    every page, so it is prepared once (cases/prepared.py); else (SQLite) one parameter per id."""
    parts: list[str] = []
    params: list[Any] = []
    for (kind, table, columns), ids in zip(_NAMED, wanted, strict=True):
        given: list[Any]
        if arrays:
            condition, given = "= ANY(%s)", [ids]
        elif ids:
            condition, given = f"IN ({', '.join(['%s'] * len(ids))})", ids
        else:
            continue
        parts.append(f"SELECT '{kind}', id, {columns} FROM {table} WHERE id {condition}")  # noqa: S608 (constants)
        params.extend(given)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(kind, pk): (a, b, c) for kind, pk, a, b, c in cursor.fetchall()}


# The detail's timeline (with the actors' names), photos and escalation steps: fixed SQL, run as it is
# (compiling these three querysets cost Django about 2 ms a detail, bench/cases_api.py).
TIMELINE_SQL = """
SELECT e.id, e.at, e.action, e.from_status, e.to_status, u.username, u.first_name, u.last_name,
       e.actor_role, e.note, e.data, e.time_used_seconds, e.overdue
FROM cases_caseevent e LEFT JOIN command_center_user u ON u.id = e.actor_id
WHERE e.case_id = %s ORDER BY e.at, e.id
"""
PHOTOS_SQL = """
SELECT id, event_id, kind, content_type, size, lat, lng, taken_at, uploaded_at
FROM cases_casephoto WHERE case_id = %s ORDER BY uploaded_at, id
"""
ESCALATIONS_SQL = """
SELECT position, anchor, after_minutes, target, channels, until, state, due_at, fire_count, last_fired_at
FROM cases_caseescalation WHERE case_id = %s ORDER BY position
"""

Rows = list[dict[str, Any]]


def case_timeline(case_id: int) -> tuple[Rows, Rows, Rows]:
    """A case's events (oldest first, with username, first_name and last_name of the actor), photos and
    escalation steps, as dicts of the columns in the SQL above."""
    with connection.cursor() as cursor:
        events = _dicts(cursor, TIMELINE_SQL, [case_id], CaseEvent)
        photos = _dicts(cursor, PHOTOS_SQL, [case_id], CasePhoto)
        escalations = _dicts(cursor, ESCALATIONS_SQL, [case_id], CaseEscalation)
    return events, photos, escalations


def _dicts(cursor: Any, sql: str, params: list[Any], model: type[Model]) -> Rows:
    """The rows as dicts of their columns, each value of a `model` column converted as the ORM does
    (SQLite gives naive UTC times and 0/1 for booleans; either gives JSON as text)."""
    cursor.execute(sql, params)
    names = tuple(column[0] for column in cursor.description)  # DB-API: the name is the first item
    converters = _column_converters(connection.vendor, model, names)
    return [_converted(dict(zip(names, values, strict=True)), converters) for values in cursor.fetchall()]


Converters = list[tuple[str, Any, list[Any]]]


@functools.cache
def _column_converters(vendor: str, model: type[Model], names: tuple[str, ...]) -> Converters:
    """The database's and the fields' converters of these columns, as the ORM applies them."""
    fields: dict[str, Any] = {field.attname: field for field in model._meta.concrete_fields}
    converters = []
    for name in names:
        field = fields.get(name)
        if field is None:  # a column of a joined table (the actor's names): text as it is
            continue
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters.append((name, column, functions))
    return converters


def _converted(row: dict[str, Any], converters: Converters) -> dict[str, Any]:
    for name, column, functions in converters:  # none on PostgreSQL; SQLite's times and booleans
        for convert in functions:
            row[name] = convert(row[name], column, connection)
    return row


# --------------------------------------------------------------------------------- writes' lookups


def open_case_id_for_key(source_key: str) -> int | None:
    """The open case of this automatic source key, its row locked where the database can (not its
    category's: every new case reads that). The key is unique among open cases
    (constraint case_one_open_per_source_key)."""
    statuses = Case.Status.OPEN
    sql = (
        "SELECT id FROM cases_case WHERE source_key = %s"  # noqa: S608 (placeholders only)
        f" AND status IN ({', '.join(['%s'] * len(statuses))})"
    )
    if connection.features.has_select_for_update:  # SQLite locks the whole database on write anyway
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [source_key, *statuses])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


DispatchRuleRow = tuple[int, int | None, int | None, int | None, int]

_RULES = (
    "SELECT id, category_id, grid_id, community_id, department_id FROM cases_dispatchrule"
    " WHERE enabled AND (category_id IS NULL OR category_id IN ({categories}))"
    " AND (grid_id IS NULL OR grid_id = %s) AND (community_id IS NULL OR community_id = %s)"
)


def dispatch_rules(
    category_ids: Sequence[int], grid_id: int | None, community_id: int | None
) -> list[DispatchRuleRow]:
    """(id, category, grid, community, department) of the enabled dispatch rules that may apply."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RULES.format(categories=", ".join(["%s"] * len(category_ids))),  # placeholders only
            [*category_ids, grid_id, community_id],
        )
        return list(cursor.fetchall())
