"""Several delegator processes (`[ssm] processes = N`, issue 16 item 1): N event loops for one SSM.

    async with ShardGroup(config) as group:   # what `esse ssm run` does when processes > 1
        group.delegator                       # process 0, in this process (the others are children)

Every process binds the client ports and the CCS-side port with SO_REUSEPORT: the kernel gives each peer
address and port to one process, so a client's handshake and its later records stay in one process, and a
CCS's frames all reach one process. Each keeps its relay rows in a SQLite file of its own
(harness/ssm/relay_table.py: its own WAL, committed in parallel); they share the counter file
(harness/ssm/counter_file.py): one counter sequence per CCS, reserved in small blocks and checked against
the CCS's window under one lock right before each send, and one window of accepted CCS counters. The file
a row is in names the process that holds it. A datagram or CCS frame for another process's session is
passed to it over a Unix datagram socket in a private directory of the group (`Delegator._forward`).

Process 0 holds the active-SSM lock (a standby group waits on it), starts the others, and starts a new one
in the place of one that died: it reloads that process's sessions from its file and resends their
unacknowledged key material; the others' sessions are untouched (the counters the dead one had reserved
are never used again). When process 0 dies, the others see their pipe close and stop (a standby takes over
the whole table).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import multiprocessing
import shutil
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from harness.ssm.config import SsmConfig
from harness.ssm.delegator import Delegator

log = logging.getLogger("harness.ssm.shards")
READY_TIMEOUT = 120.0  # a child's start (a fresh interpreter, imports, SQLite) on a loaded host


def _child_main(
    conn: Connection, cfg: SsmConfig, shard: int, forward_dir: str, level: int = logging.WARNING
) -> None:  # pragma: no cover
    """Entry of process `shard` (a spawned interpreter): run its delegator until told or orphaned; it
    logs at process 0's level (at least WARNING: `esse ssm run -v` makes every process verbose)."""
    logging.basicConfig(level=min(level, logging.WARNING))
    asyncio.run(_child(conn, cfg, shard, Path(forward_dir)))


async def _child(conn: Connection, cfg: SsmConfig, shard: int, forward_dir: Path) -> None:  # pragma: no cover
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    async with Delegator(cfg, shard=shard, forward_dir=forward_dir) as d:

        def readable() -> None:
            try:
                msg = conn.recv()
            except (EOFError, OSError):  # process 0 is gone (even kill -9): so are we
                loop.remove_reader(conn.fileno())
                stop.set()
                return
            if msg == "stats":
                conn.send(process_stats(d))
            else:
                stop.set()

        loop.add_reader(conn.fileno(), readable)
        conn.send(("ready", shard))
        await stop.wait()
        loop.remove_reader(conn.fileno())


def process_stats(d: Delegator) -> dict[str, Any]:
    """One process's counters: stats, relay sessions, counter-lock time (wall, ns)."""
    return {"stats": dict(d.stats), "sessions": len(d.table or []),
            "lock_ns": d.table.lock_ns if d.table is not None else 0}


@dataclasses.dataclass
class _Child:
    conn: Connection
    proc: Any


class ShardGroup:
    """Process 0 of the group in this process, processes 1..N-1 as children (restarted when they die)."""

    def __init__(self, config: SsmConfig) -> None:
        self.config = config
        self.delegator: Delegator | None = None
        self.restarts = 0
        self._dir: Path | None = None
        self._children: dict[int, _Child] = {}
        self._child_cfg: SsmConfig | None = None
        self._closing = False

    async def start(self) -> None:
        """Start process 0 (binding the ports), then the others on the same ports; return when all serve."""
        self._dir = Path(tempfile.mkdtemp(prefix="esse-ssm-"))  # 0700: only we may forward
        d = self.delegator = Delegator(self.config, shard=0, forward_dir=self._dir)
        await d.start()
        # the children bind the ports process 0 got (a port 0 in the config is now a number)
        self._child_cfg = dataclasses.replace(
            self.config, listen=[(a[0], int(a[1])) for a in d.client_addresses],
            ccs_listen=(d.ccs_address[0], int(d.ccs_address[1])), metrics=None,
        )
        try:
            await asyncio.gather(*(self._spawn(k) for k in range(1, self.config.processes)))
        except BaseException:
            await self.stop()
            raise

    async def _spawn(self, shard: int) -> None:
        assert self._dir is not None and self._child_cfg is not None
        mp = multiprocessing.get_context("spawn")
        parent, child = mp.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        p = mp.Process(target=_child_main, args=(child, self._child_cfg, shard, str(self._dir), level),
                       name=f"ssm-process-{shard}")
        p.start()
        child.close()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def first_message() -> None:
            loop.remove_reader(parent.fileno())
            try:
                parent.recv()
            except (EOFError, OSError) as exc:
                if not ready.done():
                    ready.set_exception(RuntimeError(f"delegator process {shard} failed to start: {exc}"))
                return
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(parent.fileno(), first_message)
        try:
            await asyncio.wait_for(ready, READY_TIMEOUT)
        except BaseException:
            p.kill()
            parent.close()
            raise
        finally:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(parent.fileno())
        if self._closing:
            p.kill()
            parent.close()
            return
        self._children[shard] = _Child(parent, p)  # serving: listed, watched
        loop.add_reader(p.sentinel, self._died, shard)

    def _died(self, shard: int) -> None:
        child = self._children.get(shard)
        if child is None:
            return
        asyncio.get_running_loop().remove_reader(child.proc.sentinel)
        child.proc.join(5)
        child.conn.close()
        del self._children[shard]
        if self._closing:
            return
        self.restarts += 1
        log.warning("delegator process %d died (exit %s); starting it again", shard, child.proc.exitcode)
        task = asyncio.get_running_loop().create_task(self._spawn(shard))
        task.add_done_callback(lambda t: self._restarted(shard, t))

    def _restarted(self, shard: int, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("restart of delegator process %d failed: %s", shard, task.exception())

    def pids(self) -> dict[int, int]:
        """Process id of each serving child process by its index."""
        return {k: int(c.proc.pid) for k, c in self._children.items()}

    def stats(self) -> list[dict[str, Any]]:
        """Counters of every process (0 first): stats, relay sessions, counter-lock time (ns)."""
        assert self.delegator is not None
        out = [process_stats(self.delegator)]
        for _, child in sorted(self._children.items()):
            try:
                child.conn.send("stats")
                out.append(child.conn.recv())
            except (EOFError, OSError):
                continue
        return out

    async def stop(self) -> None:
        """Stop the children, then process 0; remove the forwarding directory."""
        self._closing = True
        loop = asyncio.get_running_loop()
        for child in list(self._children.values()):
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(child.proc.sentinel)
            with contextlib.suppress(OSError):
                child.conn.send("stop")
        for child in list(self._children.values()):
            await loop.run_in_executor(None, child.proc.join, 10)
            if child.proc.is_alive():
                child.proc.kill()
                child.proc.join(5)
            child.conn.close()
        self._children.clear()
        if self.delegator is not None:
            await self.delegator.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    async def __aenter__(self) -> ShardGroup:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
