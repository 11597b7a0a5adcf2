"""The authentication server's repository (SQLite): devices and IK_d, controllers and SK_cs, every RN
and TID already used, every accepted AS_REQUEST (for replay detection) and the PSK_DN issued."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (id INTEGER PRIMARY KEY, ik BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS controllers (id INTEGER PRIMARY KEY, sk_cs BLOB NOT NULL,
    last_tid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS used_rn (kind TEXT NOT NULL, owner INTEGER NOT NULL, rn BLOB NOT NULL,
    PRIMARY KEY (kind, owner, rn));
CREATE TABLE IF NOT EXISTS transactions (controller INTEGER NOT NULL, tid INTEGER NOT NULL,
    digest BLOB NOT NULL, device INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (controller, tid));
CREATE TABLE IF NOT EXISTS issued (device INTEGER PRIMARY KEY, psk BLOB NOT NULL, controller INTEGER NOT NULL,
    tid INTEGER NOT NULL, ts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revoked (device INTEGER PRIMARY KEY, ts INTEGER NOT NULL);
"""
TABLES = ("devices", "controllers", "used_rn", "transactions", "issued", "revoked")


class RepositoryError(ValueError):
    """A repository operation with bad input (id out of range, key of the wrong length)."""


@dataclass(frozen=True)
class Issued:
    """A PSK_DN the AS issued: for which device, through which controller and transaction."""

    device: int
    psk: bytes
    controller: int
    tid: int
    ts: int


def _check_id(kind: str, value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise RepositoryError(f"{kind} id must be 0..65535, got {value}")


def _check_key(kind: str, key: bytes) -> None:
    if len(key) != 16:
        raise RepositoryError(f"{kind} must be 16 bytes, got {len(key)}")


def digest(message: bytes) -> bytes:
    """SHA-256 of an accepted AS_REQUEST: what tells a replay from a forged reuse of its TID."""
    return hashlib.sha256(message).digest()


class Repository:
    """SQLite file (or ':memory:') holding the AS's state; every successful bootstrap is one transaction."""

    def __init__(self, path: str | Path) -> None:
        self.db = sqlite3.connect(str(path))
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def add_device(self, device: int, ik: bytes) -> None:
        """Enrol a device with its initial key IK_d (replacing an earlier IK_d for that id); enrolling
        a revoked device again lifts its revocation."""
        _check_id("device", device)
        _check_key("IK_d", ik)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO devices (id, ik) VALUES (?, ?)", (device, ik))
            self.db.execute("DELETE FROM revoked WHERE device = ?", (device,))

    def remove_device(self, device: int) -> None:
        """Forget a device (unenrol it): the AS refuses it as unknown_device."""
        with self.db:
            self.db.execute("DELETE FROM devices WHERE id = ?", (device,))

    def revoke(self, device: int, ts: int) -> bool:
        """Revoke a device: its issued PSK_DN is forgotten and bootstrapping is refused until it is
        enrolled again (add_device). False when the device is not enrolled."""
        _check_id("device", device)
        if self.device_key(device) is None:
            return False
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO revoked (device, ts) VALUES (?, ?)", (device, ts))
            self.db.execute("DELETE FROM issued WHERE device = ?", (device,))
        return True

    def is_revoked(self, device: int) -> bool:
        """Whether the operator revoked the device (and did not enrol it again)."""
        return self.db.execute("SELECT 1 FROM revoked WHERE device = ?", (device,)).fetchone() is not None

    def add_controller(self, controller: int, sk_cs: bytes) -> None:
        """Register a controller with the key SK_cs it shares with the AS."""
        _check_id("controller", controller)
        _check_key("SK_cs", sk_cs)
        with self.db:
            self.db.execute(
                "INSERT INTO controllers (id, sk_cs) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET sk_cs = ?",
                (controller, sk_cs, sk_cs),
            )

    def device_key(self, device: int) -> bytes | None:
        """IK_d of a device, None when it is not enrolled."""
        row = self.db.execute("SELECT ik FROM devices WHERE id = ?", (device,)).fetchone()
        return None if row is None else bytes(row[0])

    def controller(self, controller: int) -> tuple[bytes, int] | None:
        """(SK_cs, last TID) of a controller, None when unknown."""
        row = self.db.execute(
            "SELECT sk_cs, last_tid FROM controllers WHERE id = ?", (controller,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]))

    def transaction_digest(self, controller: int, tid: int) -> bytes | None:
        """Digest of the AS_REQUEST accepted under (controller, TID), None when that TID is unused."""
        row = self.db.execute(
            "SELECT digest FROM transactions WHERE controller = ? AND tid = ?", (controller, tid)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def rn_used(self, kind: str, owner: int, rn: bytes) -> bool:
        """Whether RN (kind 'd': RN_d of device `owner`, 'c': RN_c of controller `owner`) was used."""
        row = self.db.execute(
            "SELECT 1 FROM used_rn WHERE kind = ? AND owner = ? AND rn = ?", (kind, owner, rn)
        ).fetchone()
        return row is not None

    def record_issue(self, message: bytes, issued: Issued, rn_d: bytes, rn_c: bytes) -> None:
        """Store one accepted bootstrap atomically: TID, both RNs, the request digest and PSK_DN."""
        with self.db:
            self.db.execute(
                "UPDATE controllers SET last_tid = ? WHERE id = ?", (issued.tid, issued.controller)
            )
            self.db.execute(
                "INSERT INTO transactions (controller, tid, digest, device, ts) VALUES (?, ?, ?, ?, ?)",
                (issued.controller, issued.tid, digest(message), issued.device, issued.ts),
            )
            self.db.execute("INSERT INTO used_rn VALUES ('d', ?, ?)", (issued.device, rn_d))
            self.db.execute("INSERT INTO used_rn VALUES ('c', ?, ?)", (issued.controller, rn_c))
            self.db.execute(
                "INSERT OR REPLACE INTO issued (device, psk, controller, tid, ts) VALUES (?, ?, ?, ?, ?)",
                (issued.device, issued.psk, issued.controller, issued.tid, issued.ts),
            )

    def issued(self, device: int) -> Issued | None:
        """The PSK_DN last issued to a device."""
        row = self.db.execute(
            "SELECT device, psk, controller, tid, ts FROM issued WHERE device = ?", (device,)
        ).fetchone()
        return (
            None if row is None else Issued(int(row[0]), bytes(row[1]), int(row[2]), int(row[3]), int(row[4]))
        )

    def devices(self) -> list[tuple[int, bool]]:
        """(device id, whether a PSK_DN was issued) for every enrolled device."""
        rows = self.db.execute(
            "SELECT d.id, i.device IS NOT NULL FROM devices d"
            " LEFT JOIN issued i ON i.device = d.id ORDER BY d.id"
        ).fetchall()
        return [(int(r[0]), bool(r[1])) for r in rows]

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table (tests compare it before and after a refused message)."""
        return {t: sorted(self.db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
