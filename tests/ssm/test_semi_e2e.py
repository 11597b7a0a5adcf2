"""Acceptance, the paper's semi-end-to-end property (7.2): once a session is handed off the delegator
holds no key material — not in TinyDTLS's peer state, not in its Python objects, not in the relay
table — and still relays the records, which it cannot read."""

from __future__ import annotations

import asyncio
import gc
import types
from pathlib import Path

import pytest

from harness.ssm import protocol
from tests.ssm.harness_fixtures import PSK_DN, coap_get, need, run_tool, ssm_and_ccs, wait_until

pytestmark = pytest.mark.slow

SKIP_TYPES = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
)


def reachable_buffers(root: object, limit: int = 200_000) -> list[bytes]:
    """Every bytes/bytearray/memoryview/str reachable from `root`. Modules, classes and the event loop
    (which leads to every other endpoint in the process, the stand-in CCS included) are not entered."""
    seen: set[int] = set()
    stack = [root]
    found: list[bytes] = []
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, SKIP_TYPES) or isinstance(obj, asyncio.AbstractEventLoop):
            continue
        seen.add(id(obj))
        if isinstance(obj, bytes | bytearray):
            found.append(bytes(obj))
            continue
        if isinstance(obj, memoryview):
            found.append(obj.tobytes())
            continue
        if isinstance(obj, str):
            found.append(obj.encode("latin-1", "replace"))
            continue
        stack.extend(gc.get_referents(obj))
    return found


def test_no_key_material_after_hand_off(tmp_path, rec, tinydtls):
    need("coap-client-openssl", "libcoap3-bin")

    async def go():
        async with ssm_and_ccs(tmp_path) as (d, ccs):
            frames: list[bytes] = []
            send = d.ccs_transport.send
            d.ccs_transport.send = lambda a, f: (frames.append(bytes(f)), send(a, f))[1]  # type: ignore
            rc, out, err = await run_tool(*coap_get("coap-client-openssl", "127.0.0.1", d.client_port(4)))
            assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()
            await wait_until(lambda: d.stats["acks"] == 1)
            d.tick()  # flush the relay table
            # what the CCS got (the test decrypts it with PSK_DN; the delegator kept only routing facts)
            km = [f for f in frames if f[0] == protocol.MSG_KEY_MATERIAL]
            _, ks = protocol.open_key_material(PSK_DN, km[0], 0)
            secrets = [bytes(ks.client_write_key), bytes(ks.server_write_key)]
            ivs = [bytes(ks.client_iv), bytes(ks.server_iv)]
            assert all(len(s) == 16 and any(s) for s in secrets)

            # 1. TinyDTLS: the peer is gone (wiped, then freed)
            assert d.tinydtls_peers() == 0

            # 2. Python objects reachable from the delegator
            del frames[:]
            buffers = reachable_buffers(d)
            assert ks.session_id in buffers  # the walk did reach the relay table entries
            assert not [b for b in buffers for s in secrets if s in b]
            assert not d._pending_acks  # the sealed message was wiped once acknowledged

            # 3. the relay table: routing facts only
            db = Path(d.config.db)
            assert d.table is not None
            d.table.db.execute("PRAGMA wal_checkpoint(FULL)")
            raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
            assert ks.session_id in raw  # the row is there...
            assert not [s for s in secrets + ivs if s in raw]  # ...and holds no key or IV
            cols = [r[1] for r in d.table.db.execute("PRAGMA table_info(relay)")]
            assert cols == [  # the identity (a name, not a secret) and host: the shared quotas
                "session_id", "ccs_name", "ccs_address", "client_address", "created", "last_used", "owner",
                "identity", "client_host",
            ]

            # the stand-in CCS does hold the session (it is the end point now) - consistency check
            assert ccs.ccs.stats["km_installed"] == 1
            ks.wipe()

    asyncio.run(go())
