"""The SSM's host server (paper §3.2.1): an HTTP page listing the sensors in the RD with their
resources, live values read over DTLS through the delegator, per-mote energy when an energest source
is wired in, and the redirect to the delegator for clients that reach a sensor without the SSM."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiocoap
from aiocoap.numbers.codes import Code
from aiohttp import web

from harness.services.rd import ATTR_DTLS, ATTR_SSM, EsseCommonRD
from harness.ssm.config import ClientEntry

#: hook for per-mote energy: endpoint name -> one-line summary (energest's str(IntervalEnergy)) or None
EnergySource = Callable[[str], "str | None"]
#: hook for revocation: (kind "ccs" or "client", name) -> what was done (a dataclass, sent back as JSON);
#: KeyError when there is nothing of that kind and name
RevokeHook = Callable[[str, str], Any]

PAGE_SCRIPT = """
async function readValue(button) {
  const out = document.getElementById(button.dataset.out);
  out.textContent = '…';
  const r = await fetch('/api/value?ep=' + encodeURIComponent(button.dataset.ep)
                        + '&path=' + encodeURIComponent(button.dataset.path));
  const j = await r.json();
  out.textContent = r.ok ? j.value : ('error: ' + j.error);
  out.className = r.ok ? 'value' : 'error';
}
async function revoke(query, out) {
  const r = await fetch('/api/revoke?' + query, {method: 'POST'});
  const j = await r.json();
  out.textContent = r.ok ? (j.kind + ' ' + j.name + ' revoked: ' + j.sessions_closed + ' sessions closed')
                         : ('error: ' + j.error);
  out.className = r.ok ? 'revoked' : 'error';
  return r.ok;
}
async function revokeSensor(button) {
  if (!confirm('Revoke ' + button.dataset.ep + '? Its sessions end and it must be enrolled again.')) return;
  const ok = await revoke('ep=' + encodeURIComponent(button.dataset.ep),
                          document.getElementById(button.dataset.out));
  button.textContent = ok ? 'revoked' : 'revoke failed';
  button.disabled = ok;
}
async function revokeClient(event) {
  event.preventDefault();
  const identity = document.getElementById('identity').value;
  const out = document.getElementById('client-out');
  if (identity) await revoke('identity=' + encodeURIComponent(identity), out);
}
"""


def _coaps_address(base: str) -> tuple[str, int]:
    """(host, port) of a coaps:// URI."""
    parts = urlsplit(base)
    if parts.scheme != "coaps" or parts.hostname is None:
        raise ValueError(f"not a coaps:// URI: {base!r}")
    return parts.hostname, parts.port or 5684


class HostServer:
    """aiohttp application over an RD; `clients` gives the PSK identity the SSM uses per sensor."""

    def __init__(self, rd: EsseCommonRD, clients: dict[bytes, ClientEntry],
                 energy: EnergySource | None = None, timeout: float = 10.0,
                 revoke: RevokeHook | None = None) -> None:
        self.rd = rd
        self.clients = clients
        self.energy = energy
        self.revoke = revoke
        self.timeout = timeout
        self.app = web.Application()
        self.app.router.add_get("/", self.page)
        self.app.router.add_get("/api/sensors", self.api_sensors)
        self.app.router.add_get("/api/value", self.api_value)
        self.app.router.add_get(r"/go/{ep}/{path:.*}", self.redirect)
        self.app.router.add_post("/api/revoke", self.api_revoke)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def sensors(self) -> list[dict[str, Any]]:
        """The RD's endpoints: name, base, delegation attributes, resource paths with their rt."""
        out = []
        for reg in self.rd.endpoints():
            params = reg.get_host_link().attr_pairs
            ep = next((v for k, v in params if k == "ep"), "?")
            resources = []
            for link in reg.links.links:
                attrs = dict(link.attr_pairs)
                resources.append({"path": urlsplit(link.href).path or link.href, "rt": attrs.get("rt", "")})
            out.append({
                "ep": ep,
                "base": reg.base,
                "ssm": reg.registration_parameters.get(ATTR_SSM, [None])[0],
                "dtls": list(reg.registration_parameters.get(ATTR_DTLS, [])),
                "resources": resources,
                "energy": self.energy(ep) if self.energy is not None else None,
            })
        return sorted(out, key=lambda s: s["ep"])

    async def page(self, request: web.Request) -> web.Response:
        """The main page: one section per sensor."""
        rows = []
        for i, s in enumerate(self.sensors()):
            res = []
            for j, r in enumerate(s["resources"]):
                out_id = f"v{i}_{j}"
                button = (f'<button data-ep="{html.escape(s["ep"])}" data-path="{html.escape(r["path"])}" '
                          f'data-out="{out_id}" onclick="readValue(this)">read</button>'
                          if s["ssm"] else "(not delegated)")
                res.append(f'<tr><td>{html.escape(r["path"])}</td><td>{html.escape(r["rt"])}</td>'
                           f'<td>{button}</td><td id="{out_id}"></td></tr>')
            energy = (f'<p class="energy">energy: {html.escape(s["energy"])}</p>' if s["energy"] else "")
            if self.revoke is not None and s["ssm"]:
                energy += (f'<button class="revoke" data-ep="{html.escape(s["ep"])}" data-out="r{i}" '
                           f'onclick="revokeSensor(this)">revoke</button> <span id="r{i}"></span>')
            rows.append(
                f'<section class="sensor" id="ep-{html.escape(s["ep"])}"><h2>{html.escape(s["ep"])}</h2>'
                f'<p>via {html.escape(s["ssm"] or "-")} · DTLS {html.escape(", ".join(s["dtls"]) or "-")}</p>'
                f'{energy}<table><tr><th>resource</th><th>rt</th><th></th><th>value</th></tr>'
                f'{"".join(res)}</table></section>'
            )
        body = "".join(rows) or '<p id="empty">no sensors registered</p>'
        if self.revoke is not None:
            body += ('<form id="revoke-client" onsubmit="revokeClient(event)"><h2>Revoke a client</h2>'
                     '<label>PSK identity <input id="identity" name="identity" autocomplete="off"></label> '
                     '<button type="submit">revoke client</button> <span id="client-out"></span></form>')
        text = (
            "<!doctype html><html><head><meta charset='utf-8'><title>ESSE sensors</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}"
            ".value{font-weight:bold;color:#060}.error{color:#a00}</style>"
            f"<script>{PAGE_SCRIPT}</script></head><body><h1>ESSE sensors</h1>{body}</body></html>"
        )
        return web.Response(text=text, content_type="text/html")

    async def api_revoke(self, request: web.Request) -> web.Response:
        """POST /api/revoke?ep=NAME (a sensor's PSK_DN) or ?identity=NAME (an outside client's PSK
        identity): what was done as JSON."""
        if self.revoke is None:
            return web.json_response({"error": "revocation is not wired to this page"}, status=501)
        q = request.query
        if ("ep" in q) == ("identity" in q):
            return web.json_response({"error": "give exactly one of ep=SENSOR or identity=CLIENT"},
                                     status=400)
        kind, name = ("ccs", q["ep"]) if "ep" in q else ("client", q["identity"])
        try:
            done = self.revoke(kind, name)
        except KeyError as exc:
            return web.json_response({"error": str(exc.args[0])}, status=404)
        if dataclasses.is_dataclass(done) and not isinstance(done, type):
            return web.json_response(dataclasses.asdict(done))
        return web.json_response(done)

    async def api_sensors(self, request: web.Request) -> web.Response:
        """The sensor list as JSON."""
        return web.json_response(self.sensors())

    def _sensor(self, ep: str) -> dict[str, Any] | None:
        return next((s for s in self.sensors() if s["ep"] == ep), None)

    async def api_value(self, request: web.Request) -> web.Response:
        """GET ep's resource `path` over coaps:// through the delegator; {"value": text}."""
        ep, path = request.query.get("ep", ""), request.query.get("path", "")
        sensor = self._sensor(ep)
        if sensor is None:
            return web.json_response({"error": f"no sensor {ep!r} in the RD"}, status=404)
        if path not in {r["path"] for r in sensor["resources"]}:
            return web.json_response({"error": f"{ep} registered no resource {path!r}"}, status=404)
        if not sensor["ssm"]:
            return web.json_response({"error": f"{ep} is not delegated by this SSM"}, status=409)
        client = next((c for c in self.clients.values() if c.ccs == ep), None)
        if client is None:
            return web.json_response({"error": f"no [clients.*] entry with ccs = {ep!r}"}, status=409)
        try:
            value = await self._read(sensor["ssm"], client, path)
        except Exception as exc:  # noqa: BLE001 - shown on the page, the server goes on
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=502)
        return web.json_response({"value": value})

    async def _read(self, ssm: str, client: ClientEntry, path: str) -> str:
        from harness.tinydtls.binding import PskStore
        from harness.tinydtls.udp import DtlsClient

        address = _coaps_address(ssm)
        dtls = await DtlsClient.create(psk=PskStore({client.identity: client.key}, identity=client.identity))
        try:
            await dtls.connect(address, timeout=self.timeout)
            msg = aiocoap.Message(code=Code.GET, uri_path=tuple(p for p in path.split("/") if p))
            msg.mtype, msg.mid, msg.token = aiocoap.CON, 1, b"hs"
            answer = aiocoap.Message.decode(await dtls.request(address, bytes(msg.encode()), self.timeout))
        finally:
            dtls.close()
        if not answer.code.is_successful():
            raise RuntimeError(f"{answer.code}")
        return answer.payload.decode("utf-8", "replace")

    async def redirect(self, request: web.Request) -> web.Response:
        """The paper's redirect: a client asking the host for a sensor is sent to the delegator."""
        ep, path = request.match_info["ep"], request.match_info["path"]
        sensor = self._sensor(ep)
        if sensor is None or not sensor["ssm"]:
            return web.json_response({"error": f"no delegated sensor {ep!r} in the RD"}, status=404)
        target = f'{sensor["ssm"].rstrip("/")}/{path}'
        return web.Response(status=307, headers={"Location": target},
                            text=json.dumps({"location": target, "dtls": sensor["dtls"]}),
                            content_type="application/json")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the bound port."""
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self.port

    async def stop(self) -> None:
        """Close the listener."""
        if self._runner is not None:
            await self._runner.cleanup()
