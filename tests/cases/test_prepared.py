"""Prepared statements (cases/prepared.py): same results, prepared once per connection."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.prepared import prepared_statements, server_sql
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def prepared_on_server() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'dcc%%'")
        return [row[0] for row in cursor.fetchall()]


def test_server_sql_numbers_parameters_and_unescapes_percent_signs() -> None:
    sql = "SELECT a FROM t WHERE b = %s AND c LIKE '5%%' AND d IN (%s, %s)"
    assert server_sql(sql) == "SELECT a FROM t WHERE b = $1 AND c LIKE '5%' AND d IN ($2, $3)"


@pytest.mark.district("prepared statements are PostgreSQL's (PREPARE, pg_prepared_statements)")
def test_a_query_is_prepared_once_and_answers_as_before() -> None:
    users: list[User] = [UserFactory(username=f"u{n}", first_name="50%") for n in range(3)]  # type: ignore[misc]
    query = lambda: list(  # noqa: E731
        User.objects.filter(pk__in=[user.pk for user in users], first_name__contains="0%")
        .order_by("username")
        .values_list("username", "first_name")
    )
    expected = query()
    assert expected == [("u0", "50%"), ("u1", "50%"), ("u2", "50%")]
    before = prepared_on_server()

    with prepared_statements(), CaptureQueriesContext(connection) as queries:
        assert query() == expected
        assert query() == expected
    sent = [captured["sql"].split(" ", 1)[0] for captured in queries.captured_queries]
    assert sent == ["EXECUTE", "EXECUTE"]
    assert len(prepared_on_server()) == len(before) + 1


@pytest.mark.district("prepared statements are PostgreSQL's (PREPARE, pg_prepared_statements)")
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again() -> None:
    query = lambda: User.objects.filter(pk=0).exists()  # noqa: E731
    before = prepared_on_server()
    with prepared_statements():
        assert query() is False
    assert len(prepared_on_server()) == len(before) + 1
    connection.close()  # e.g. CONN_MAX_AGE reached: the new session has no statements
    with prepared_statements():
        assert query() is False
    assert len(prepared_on_server()) == 1
