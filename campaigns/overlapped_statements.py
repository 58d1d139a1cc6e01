"""One statement at a time sent to PostgreSQL now and waited for later, so the worker builds the next mail
while the database writes the state of this one.

The send path makes one write per mail; done in line, the worker sat idle for the whole round trip and the
database for the whole rendering. The statement goes over a second connection of the worker process in
psycopg2's asynchronous mode: `start` sends it and returns at once, `wait` blocks until PostgreSQL answers.
Every statement commits on its own (asynchronous connections are always in autocommit), with
synchronous_commit off like the rest of a batch's per-mail writes: the batch's closing durable write
flushes the WAL past them as well.

The statements are prepared on the second connection the first time they run there (config/prepared_statements.py):
the PREPARE travels in front of the EXECUTE in the same round trip, and an error closes the connection, so
what it remembers as prepared is never wrong.

Where the second connection would not see the rows (SQLite in the embedded mode, or a caller inside a
transaction that is not committed yet, as tests are), the statement runs in line on Django's connection
when it is started, and `wait` returns what it did: the caller's code is the same either way.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading

from django.db import connection

from config.prepared_statements import PreparedStatement, prepared_names, run_prepared

Step = tuple[PreparedStatement, list]


class OverlappedStatement:
    """`start((statement, params), ...)`, do other work, `wait()` -> the row count of the last statement's.
    Several statements go in one round trip, and PostgreSQL runs such a string as one transaction."""

    def __init__(self) -> None:
        self._in_line_rowcount: int | None = None
        self._cursor = None

    @property
    def _on_its_way(self) -> bool:
        return self._cursor is not None or self._in_line_rowcount is not None

    def start(self, *steps: Step) -> None:
        if self._on_its_way:
            raise RuntimeError("a statement is already on its way: wait() for it first")
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            with connection.cursor() as cursor:
                for statement, params in steps:
                    run_prepared(cursor, statement, params)
                self._in_line_rowcount = cursor.rowcount
            return
        with connection.wrap_database_errors:
            try:
                asynchronous = _asynchronous_connection()
                sql, params = _in_one_round_trip(steps, prepared_names(asynchronous))
                self._cursor = asynchronous.cursor()
                self._cursor.execute(sql, params)
            except Exception:
                self._cursor = None
                close_asynchronous_connection()
                raise

    def wait(self) -> int:
        if self._in_line_rowcount is not None:
            rowcount, self._in_line_rowcount = self._in_line_rowcount, None
            return rowcount
        if self._cursor is None:
            raise RuntimeError("no statement was started")
        cursor, self._cursor = self._cursor, None
        with connection.wrap_database_errors:
            try:
                _wait_for(cursor.connection)
            except Exception:
                close_asynchronous_connection()
                raise
            return cursor.rowcount

    def abandon(self) -> None:
        """Leaving early with a statement on its way: wait for it quietly (its outcome is the caller's log's)."""
        if self._on_its_way:
            try:
                self.wait()
            except Exception:  # the caller handles the error that made it leave; wait() dropped the connection
                return


def _in_one_round_trip(steps: tuple[Step, ...], prepared: set[str]) -> tuple[str, list]:
    """The EXECUTEs of the steps as one string, each statement's PREPARE in front the first time."""
    commands, all_params = [], []
    for statement, params in steps:
        if statement.name not in prepared:
            commands.append(statement.prepare_sql)
            prepared.add(statement.name)  # an error closes the connection, and this set goes with it
        commands.append(statement.execute_sql)
        all_params += params
    return "; ".join(commands), all_params


class _OwnConnection(threading.local):
    """The second connection of this thread of this process (a forked child opens its own, never its parent's)."""

    connection = None
    pid = 0


_own = _OwnConnection()


def _asynchronous_connection():
    import psycopg2

    if _own.connection is not None and _own.pid == os.getpid() and not _own.connection.closed:
        return _own.connection
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    opened = psycopg2.connect(**params, async_=True)
    _wait_for(opened)
    setting = opened.cursor()  # kept until answered: psycopg2 fails a poll whose cursor is gone
    setting.execute("SET synchronous_commit TO off")
    _wait_for(opened)
    _own.connection, _own.pid = opened, os.getpid()
    return opened


def close_asynchronous_connection() -> None:
    """After an error, at the end of a test or of a worker process: the next statement opens a new one."""
    current, owned = _own.connection, _own.pid == os.getpid()
    _own.connection, _own.pid = None, 0
    if current is not None and owned:
        with contextlib.suppress(Exception):  # a broken connection may refuse even to close
            current.close()


def _wait_for(asynchronous) -> None:
    import psycopg2.extensions

    while True:
        state = asynchronous.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            select.select([asynchronous.fileno()], [], [])
        elif state == psycopg2.extensions.POLL_WRITE:
            select.select([], [asynchronous.fileno()], [])
        else:
            raise psycopg2.OperationalError(f"unexpected state of an asynchronous connection: {state}")
