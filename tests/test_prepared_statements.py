"""Hot statements are prepared once per connection, then only executed (config/prepared_statements.py)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from config.prepared_statements import PreparedStatement, run_prepared

DOUBLE_AND_LABEL = PreparedStatement("double_and_label", "SELECT %s::int * 2, %s::text || '!'")


def sent(queries) -> list[str]:
    return [query["sql"].split(" AS ")[0].split("(")[0] for query in queries]


def test_placeholders_become_numbered_parameters():
    assert DOUBLE_AND_LABEL.prepare_sql == f"PREPARE {DOUBLE_AND_LABEL.name} AS SELECT $1::int * 2, $2::text || '!'"
    assert DOUBLE_AND_LABEL.execute_sql == f"EXECUTE {DOUBLE_AND_LABEL.name}(%s, %s)"
    assert DOUBLE_AND_LABEL.name.startswith("double_and_label_")
    other = PreparedStatement("double_and_label", "SELECT %s::int * 3, %s::text")
    assert other.name != DOUBLE_AND_LABEL.name  # same label, other SQL: its own statement on the server


@pytest.mark.parametrize(
    ("label", "sql"), [("literal_percent", "SELECT 'a' LIKE '%%'"), ("named", "SELECT %(x)s"), ("bad name", "SELECT 1")]
)
def test_what_cannot_be_prepared_is_refused_when_defined(label, sql):
    with pytest.raises(ValueError):
        PreparedStatement(label, sql)


@pytest.mark.django_db(transaction=True)
def test_prepared_once_per_connection_and_again_on_a_new_one(persistent_database_connection):
    def run(number: int, label: str) -> tuple[list[str], tuple]:
        with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
            run_prepared(cursor, DOUBLE_AND_LABEL, [number, label])
            return sent(queries), cursor.fetchone()

    prepare, execute = "PREPARE " + DOUBLE_AND_LABEL.name, "EXECUTE " + DOUBLE_AND_LABEL.name
    connection.close()
    assert run(21, "一度目") == ([prepare, execute], (42, "一度目!"))
    assert run(5, "二度目") == ([execute], (10, "二度目!"))
    connection.close()  # as after CONN_MAX_AGE or an error: the new connection has no prepared statement
    assert run(1, "新しい接続")[0] == [prepare, execute]


@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_in_a_rolled_back_transaction_still_runs(persistent_database_connection):
    connection.close()
    with pytest.raises(ZeroDivisionError), transaction.atomic(), connection.cursor() as cursor:
        run_prepared(cursor, DOUBLE_AND_LABEL, [1, "a"])
        raise ZeroDivisionError
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        run_prepared(cursor, DOUBLE_AND_LABEL, [4, "b"])
        assert cursor.fetchone() == (8, "b!")
    assert sent(queries) == ["EXECUTE " + DOUBLE_AND_LABEL.name]


@pytest.mark.django_db(transaction=True)
def test_a_statement_that_fails_to_prepare_is_tried_again_next_time(persistent_database_connection):
    broken = PreparedStatement("broken", "SELECT %s FROM no_such_table")
    connection.close()
    for _attempt in range(2):
        with CaptureQueriesContext(connection) as queries, pytest.raises(DatabaseError), connection.cursor() as cursor:
            run_prepared(cursor, broken, [1])
        assert sent(queries) == ["PREPARE " + broken.name]


@pytest.mark.django_db
def test_nothing_is_prepared_on_a_connection_closed_after_each_request():
    assert connection.settings_dict["CONN_MAX_AGE"] == 0  # the settings' default
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        run_prepared(cursor, DOUBLE_AND_LABEL, [3, "そのまま"])
        assert cursor.fetchone() == (6, "そのまま!")
    assert [query["sql"] for query in queries] == ["SELECT 3::int * 2, 'そのまま'::text || '!'"]
