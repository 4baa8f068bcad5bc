"""Portal accounts and the upload log: a small SQLite file (``var/portal/portal.sqlite``), never the warehouse.

Roles: ``officer`` (one body: uploads and sees that body only), ``planner`` (reads every body, uploads
nothing), ``admin`` (manages accounts from the command line). Passwords are hashed with Argon2id.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("officer", "planner", "admin")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("timing-equaliser")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, body TEXT, password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, year INTEGER, phase TEXT, original_name TEXT NOT NULL,
    stored_as TEXT NOT NULL, sha256 TEXT NOT NULL, username TEXT NOT NULL, received_at TEXT NOT NULL,
    status TEXT NOT NULL, findings_json TEXT NOT NULL  -- what the dry run said: received or rejected \
(the fate: the receipt)
);
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
"""
MIGRATIONS = [  # columns added after the first release: (table, column, definition)
    (
        "users",
        "session_version",
        "INTEGER NOT NULL DEFAULT 0",
    ),  # bumped by logout and reset: older cookies stop working
    ("uploads", "receipt_seq", "INTEGER"),  # the receipt the upload became (sources.receipts), for its fate
    ("uploads", "receipt_number", "TEXT"),  # what the officer reads and quotes: 2026-0042 (``receipt_number``)
]
# The officer's receipt number: the year of receipt and the next number of that year, given inside the INSERT (one
# statement: two uploads at once cannot take the same number; the unique index would refuse it anyway).
NEXT_NUMBER = (
    "(SELECT printf('%s-%04d', :year_of, COALESCE(MAX(CAST(substr(receipt_number, 6) AS INTEGER)), 0) + 1)"
    " FROM uploads WHERE receipt_number LIKE :year_of || '-%')"
)
RECEIPT_NUMBER = r"^(\d{4})-(\d{4,})$"


@dataclass(frozen=True)
class User:
    username: str
    role: str
    body: str | None

    def may_see(self, body: str) -> bool:
        return self.role in ("planner", "admin") or self.body == body

    @property
    def may_upload(self) -> bool:
        return self.role == "officer"


def portal_dir(settings) -> Path:
    return settings.home / "portal"


@contextmanager
def connect(settings):
    folder = portal_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "portal.sqlite"
    if not path.exists():  # password hashes: readable by the owner only, from creation
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        con.executescript(SCHEMA)
        for table, column, definition in MIGRATIONS:
            if column not in {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        if (
            con.execute("PRAGMA user_version").fetchone()[0] < 1
        ):  # the dry run's outcome in the register's words (received)
            con.execute("UPDATE uploads SET status = 'received' WHERE status = 'accepted'")
            con.execute("PRAGMA user_version = 1")
        if con.execute("PRAGMA user_version").fetchone()[0] < 2:  # uploads logged before receipt numbers: numbered
            for row in con.execute("SELECT id, received_at FROM uploads ORDER BY received_at, rowid").fetchall():
                given = {"year_of": row["received_at"][:4], "id": row["id"]}
                con.execute(f"UPDATE uploads SET receipt_number = {NEXT_NUMBER} WHERE id = :id", given)
            con.execute("CREATE UNIQUE INDEX IF NOT EXISTS uploads_receipt_number ON uploads (receipt_number)")
            con.execute("PRAGMA user_version = 2")
        yield con
        con.commit()
    finally:
        con.close()


def add_user(settings, username: str, role: str, body: str | None, password: str | None = None) -> str:
    """Create an account; returns the password (generated when not given)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role == "officer" and not body:
        raise ValueError("an officer belongs to one body")
    password = password or secrets.token_urlsafe(12)
    with connect(settings) as con:
        con.execute(
            "INSERT INTO users (username, role, body, password_hash, active, created_at) VALUES (?, ?, ?, ?, 1, ?)",
            (
                username,
                role,
                body if role == "officer" else None,
                _HASHER.hash(password),
                dt.datetime.now().isoformat(),
            ),
        )
    return password


def set_active(settings, username: str, active: bool) -> bool:
    with connect(settings) as con:
        return con.execute("UPDATE users SET active = ? WHERE username = ?", (int(active), username)).rowcount == 1


def reset_password(settings, username: str, password: str | None = None) -> str | None:
    password = password or secrets.token_urlsafe(12)
    with connect(settings) as con:
        done = con.execute(
            "UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE username = ?",
            (_HASHER.hash(password), username),
        ).rowcount
    return password if done else None


def authenticate(settings, username: str, password: str) -> User | None:
    with connect(settings) as con:
        row = con.execute("SELECT * FROM users WHERE username = ? AND active = 1", (username,)).fetchone()
    try:
        _HASHER.verify(
            row["password_hash"] if row else _DUMMY_HASH, password
        )  # same work whether the user exists or not
    except (VerificationError, InvalidHashError):
        return None
    return User(row["username"], row["role"], row["body"]) if row else None


def user(settings, username: str, version: int | None = None) -> User | None:
    """The active account; with ``version``, only if the session was opened after the last logout or reset."""
    with connect(settings) as con:
        row = con.execute("SELECT * FROM users WHERE username = ? AND active = 1", (username,)).fetchone()
    if row is None or (version is not None and row["session_version"] != version):
        return None
    return User(row["username"], row["role"], row["body"])


def session_version(settings, username: str) -> int:
    with connect(settings) as con:
        row = con.execute("SELECT session_version FROM users WHERE username = ?", (username,)).fetchone()
    return row["session_version"] if row else -1


def end_sessions(settings, username: str) -> None:
    """Logout: every cookie issued to the user so far stops working (signed cookies cannot be recalled one by one)."""
    with connect(settings) as con:
        con.execute("UPDATE users SET session_version = session_version + 1 WHERE username = ?", (username,))


def log_upload(settings, **record) -> str:
    """Log an upload; returns its receipt number (``2026-0042``: unique in this installation)."""
    with connect(settings) as con:
        con.execute(
            "INSERT INTO uploads (id, body, year, phase, original_name, stored_as, sha256, username, received_at,"
            " status, findings_json, receipt_seq, receipt_number) VALUES (:id, :body, :year, :phase, :original_name,"
            f" :stored_as, :sha256, :username, :received_at, :status, :findings_json, :receipt_seq, {NEXT_NUMBER})",
            {"receipt_seq": None, **record, "year_of": str(record["received_at"])[:4]},
        )
        return con.execute("SELECT receipt_number FROM uploads WHERE id = ?", (record["id"],)).fetchone()[0]


def upload_by_number(settings, number: str) -> sqlite3.Row | None:
    """The upload with this receipt number (``2026-42`` and ``2026-0042`` alike), or None."""
    found = re.fullmatch(r"\s*(\d{4})\s*[-/ ]\s*0*(\d{1,9})\s*", number or "")
    if found is None:
        return None
    wanted = f"{found.group(1)}-{int(found.group(2)):04d}"
    with connect(settings) as con:
        return con.execute("SELECT * FROM uploads WHERE receipt_number = ?", (wanted,)).fetchone()


def uploads_of(settings, body: str | None = None) -> list[sqlite3.Row]:
    with connect(settings) as con:
        if body:
            return con.execute("SELECT * FROM uploads WHERE body = ? ORDER BY received_at DESC", (body,)).fetchall()
        return con.execute("SELECT * FROM uploads ORDER BY received_at DESC").fetchall()


def upload(settings, upload_id: str) -> sqlite3.Row | None:
    with connect(settings) as con:
        return con.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
