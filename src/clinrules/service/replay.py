"""The JWT replay store shared by every worker of one `clinrules serve`: a SQLite file.

In: the (iss, jti) of each verified token and its expiry. Out: None the
first time a pair is seen, else why the token is refused.

Design decisions:
- One row per (iss, jti) under a unique key: the `INSERT` itself decides,
  atomically across processes, which call saw the pair first, so a token
  replayed to another worker is refused like one replayed to the same one.
- Rows whose token has expired (past the leeway) are pruned in the same
  transaction, before the insert; a pruned pair could no longer verify.
- Fail closed: a store that cannot be read or written, or that holds
  `capacity` live tokens, refuses the token rather than forget a `jti`.
- The file lives in a directory the server is given (`--state-dir`, kept
  across restarts, so a restart forgets no live `jti`) or creates.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from clinrules.service.auth import LEEWAY_SECONDS

FILE_NAME = "replay.sqlite3"
BUSY_SECONDS = 5.0
_SCHEMA = "CREATE TABLE IF NOT EXISTS seen (iss TEXT NOT NULL, jti TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (iss, jti))"


class SharedReplayStore:
    """`first_use` as `auth.ReplayStore` has it, over a SQLite file that several processes share."""

    def __init__(self, folder: Path, capacity: int = 100_000) -> None:
        self.path = folder / FILE_NAME
        self._capacity = capacity
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        # Opened once at start-up, so that a folder that cannot hold the store fails then, not per request.
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            self._connection = connection
        return self._connection

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> str | None:
        """None if this (iss, jti) is new (and remember it), else why it is refused."""
        with self._lock:
            try:
                return self._insert(self._connect(), iss, jti, expires, now)
            except sqlite3.Error:
                return "the replay store cannot be read; try again shortly"

    def _insert(
        self, connection: sqlite3.Connection, iss: str, jti: str, expires: float, now: float
    ) -> str | None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute("DELETE FROM seen WHERE expires < ?", (now - LEEWAY_SECONDS,))
            (live,) = connection.execute("SELECT count(*) FROM seen").fetchone()
            try:
                connection.execute("INSERT INTO seen VALUES (?, ?, ?)", (iss, jti, expires))
            except sqlite3.IntegrityError:
                connection.execute("COMMIT")
                return "the token's jti was used before (a replayed token)"
            if live >= self._capacity:
                connection.execute("ROLLBACK")
                return "too many live tokens to track their jti; try again shortly"
            connection.execute("COMMIT")
            return None
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
