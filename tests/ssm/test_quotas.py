"""Issue 16 item 3: sessions per identity and per client address are capped; beyond the cap the oldest
session of that identity / address is closed at the CCS (authenticated ERROR) and in the relay table."""

from __future__ import annotations

import asyncio

from harness.ssm import protocol
from tests.ssm.harness_fixtures import coap_get, need, run_tool, ssm_and_ccs, wait_until

# the CCS counts each authenticated ERROR close-alert it opened (libcoap's close_notify had already ended
# the session there, so the CCS has no keys left to alert with: test_quota_alert.py covers live clients)
CLOSED = f"ssm_error_{protocol.ECODE_CLOSE_ALERT}"


async def _gets(d, times: int) -> None:
    for _ in range(times):  # each libcoap run is a new source port, so a new session
        rc, out, err = await run_tool(*coap_get("coap-client-openssl", "127.0.0.1", d.client_port(4)))
        assert (rc, out.strip()) == (0, b"22.5 C"), err.decode()


def test_identity_quota_closes_the_oldest(tmp_path, rec, tinydtls) -> None:
    """Three sessions of one identity with a quota of 2: the first is closed at SSM and CCS."""
    need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path, max_sessions_per_identity=2) as (d, ccs):
            await _gets(d, 2)
            first = min(d.sessions(), key=lambda e: e.created).session_id
            await _gets(d, 1)
            sids = {e.session_id for e in d.sessions()}
            assert len(sids) == 2 and first not in sids
            assert d.stats["quota_evicted_identity"] == 1 and d.stats["handoffs"] == 3
            await wait_until(lambda: ccs.ccs.stats[CLOSED] == 1, timeout=5)

    asyncio.run(go())


def test_address_quota(tmp_path, rec, tinydtls) -> None:
    """A quota of one session per client IP: each new session from 127.0.0.1 replaces the last."""
    need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path, max_sessions_per_address=1) as (d, ccs):
            await _gets(d, 3)
            assert len(d.sessions()) == 1 and d.stats["quota_evicted_address"] == 2
            await wait_until(lambda: ccs.ccs.stats[CLOSED] == 2, timeout=5)

    asyncio.run(go())


def test_no_quota_by_default(tmp_path, rec, tinydtls) -> None:
    """Without quotas three sessions stay."""
    need("coap-client-openssl", "libcoap3-bin")

    async def go() -> None:
        async with ssm_and_ccs(tmp_path) as (d, _):
            await _gets(d, 3)
            assert len(d.sessions()) == 3 and not any(k.startswith("quota") for k in d.stats)

    asyncio.run(go())
