"""The hottest statements parsed and planned once per database connection (PREPARE), then only EXECUTEd.

psycopg2 sends every statement as text, so PostgreSQL parses and plans it again on each call. For the
tracking endpoints (an indexed lookup by token, one write) and the send path's per-mail writes, that was
about half of PostgreSQL's time: its CPU for a tracked open under load went from 0.82 to 0.41 ms once both
statements were prepared (bench_tracking_load).

A statement is prepared on a connection the first time it runs there, in a round trip of its own, and
remembered for that connection only: a new connection (after CONN_MAX_AGE, an error, a fork) prepares
again. With CONN_MAX_AGE=0 (a connection per request or task) nothing is prepared: the PREPARE would be
one more round trip for a single EXECUTE. PREPARE is not undone by a rollback, so a prepared statement
outlives the transaction that made it. Behind pgbouncer this needs session pooling (as the send path's
second connection does): with transaction pooling the next statement may reach a server session that never
saw the PREPARE.
Elsewhere (SQLite in the embedded mode) the SQL runs as it is.

Prepare only statements whose plan cannot depend on the data: a row found by a unique or primary key, an
INSERT. After five runs PostgreSQL may keep one generic plan for a prepared statement, made from the statistics
of that moment; a read by a non-unique key planned while its table was nearly empty kept a sequential scan as
the table grew (tracking.selectors.earlier_clicks, which is therefore not prepared).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from weakref import WeakKeyDictionary

from django.db import connection

# names prepared on each psycopg2 connection; the entry goes with the connection
_prepared_on: WeakKeyDictionary[object, set[str]] = WeakKeyDictionary()


@dataclass(frozen=True)
class PreparedStatement:
    """SQL with %s placeholders, as for cursor.execute; `label` starts its name on the server."""

    label: str
    sql: str

    def __post_init__(self) -> None:
        if "%%" in self.sql or "%(" in self.sql:
            raise ValueError("a prepared statement takes positional %s placeholders only")
        if not self.label.isidentifier():
            raise ValueError(f"not a name PostgreSQL takes: {self.label!r}")

    @cached_property
    def name(self) -> str:
        # the SQL's digest in the name: statements built at run time (tracking.result_writes) get one each
        return f"{self.label}_{hashlib.sha1(self.sql.encode(), usedforsecurity=False).hexdigest()[:12]}"

    @cached_property
    def parameter_count(self) -> int:
        return self.sql.count("%s")

    @cached_property
    def prepare_sql(self) -> str:
        pieces = self.sql.split("%s")
        numbered = "".join(f"{piece}${number}" for number, piece in enumerate(pieces[:-1], start=1)) + pieces[-1]
        return f"PREPARE {self.name} AS {numbered}"

    @cached_property
    def execute_sql(self) -> str:
        if not self.parameter_count:
            return f"EXECUTE {self.name}"
        return f"EXECUTE {self.name}({', '.join(['%s'] * self.parameter_count)})"


def run_prepared(cursor, statement: PreparedStatement, params: list) -> None:
    """cursor.execute(statement.sql, params), prepared once per connection on PostgreSQL. `cursor` is one of
    Django's cursors (its fetch methods read the answer as usual)."""
    if connection.vendor != "postgresql" or connection.settings_dict["CONN_MAX_AGE"] == 0:
        cursor.execute(statement.sql, params)
        return
    names = prepared_names(cursor.cursor.connection)
    if statement.name not in names:
        cursor.execute(statement.prepare_sql)
        names.add(statement.name)
    cursor.execute(statement.execute_sql, params)


def prepared_names(psycopg2_connection) -> set[str]:
    """The statements prepared so far on this psycopg2 connection (the caller adds what it prepares)."""
    return _prepared_on.setdefault(psycopg2_connection, set())
