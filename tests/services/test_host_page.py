"""The host server's page in a real headless Chromium (selenium): the stand-in CCS registered in the RD
is listed with its resources; clicking "read" fetches the live value over DTLS through the delegator."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import aiocoap
from aiocoap.numbers import ContentFormat

from harness.services.rd import ResourceDirectory, delegation_attrs
from harness.services.web import HostServer
from harness.ssm.config import from_dict
from harness.ssm.delegator import Delegator
from harness.standin.ccs import StandinCcsServer
from tests.requirements import require

PSK_DN = bytes.fromhex("00112233445566778899aabbccddeeff")
LINKS = b'</sensors/temperature>;rt="temperature-c"'
SCREENSHOT = Path(tempfile.gettempdir()) / "esse-host-page.png"


async def register(rd_port: int, ep: str) -> None:
    """RFC 9176 registration of `ep` with the temperature link (aiocoap client)."""
    ctx = await aiocoap.Context.create_client_context()
    msg = aiocoap.Message(code=aiocoap.POST, payload=LINKS, uri=f"coap://127.0.0.1:{rd_port}/rd?ep={ep}&lt=300")
    msg.opt.content_format = ContentFormat.LINKFORMAT
    assert (await ctx.request(msg).response).code == aiocoap.CREATED
    await ctx.shutdown()


def _browser() -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='esse-chromium-')}", "--window-size=1000,700"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def _drive(url: str) -> tuple[list[str], str, str]:
    """Load the page, read the sensor names, click the first "read", wait for the value."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser()
    try:
        driver.get(url)  # type: ignore[attr-defined]
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "section.sensor h2")]  # type: ignore[attr-defined]
        button = driver.find_element(By.CSS_SELECTOR, "button[data-path='/sensors/temperature']")  # type: ignore[attr-defined]
        out = driver.find_element(By.ID, button.get_attribute("data-out"))  # type: ignore[attr-defined]
        button.click()
        WebDriverWait(driver, 20).until(lambda d: out.text not in ("", "…"))
        driver.save_screenshot(str(SCREENSHOT))  # type: ignore[attr-defined]
        return names, out.text, out.get_attribute("class")
    finally:
        driver.quit()  # type: ignore[attr-defined]


def test_page_lists_rd_sensors_and_reads_live_value_in_chromium(tmp_path: Path) -> None:
    """RD registration -> page lists it -> click -> 22.5 C read via coaps through the delegator."""
    require(shutil.which("chromium") and shutil.which("chromedriver"),
            "Debian chromium + chromium-driver not installed")
    try:
        import selenium  # noqa: F401
    except ImportError:
        require(False, "selenium (pip) not installed")

    async def run() -> None:
        async with StandinCcsServer(PSK_DN) as ccs:
            cfg = from_dict({
                "ssm": {"listen": ["127.0.0.1:0"], "db": str(tmp_path / "relay.sqlite")},
                "ccs": {"s1": {"address": f"{ccs.address[0]}:{ccs.address[1]}", "psk_dn": PSK_DN.hex()}},
                "clients": {"host": {"key": "hostPSK", "ccs": "s1"}},
            })
            async with Delegator(cfg) as d:
                ssm = f"coaps://127.0.0.1:{d.client_port(4)}"
                attrs = delegation_attrs(ssm, ["PSK_AES_128_CCM_8"], lambda ep: ep in cfg.ccs)
                async with ResourceDirectory(("127.0.0.1", 0), delegated=attrs) as rd:
                    await register(rd.port, "s1")
                    host = HostServer(rd.common, cfg.clients, energy=lambda ep: f"{ep}: 1.25 mJ (test)")
                    port = await host.start("127.0.0.1", 0)
                    try:
                        names, value, css = await asyncio.to_thread(_drive, f"http://127.0.0.1:{port}/")
                        assert names == ["s1"]
                        assert (value, css) == ("22.5 C", "value")
                        # the paper's redirect: to the delegator, not to the sensor
                        req = urllib.request.Request(f"http://127.0.0.1:{port}/go/s1/sensors/temperature")
                        opener = urllib.request.build_opener(_NoRedirect())
                        try:
                            await asyncio.to_thread(opener.open, req)
                            raise AssertionError("no redirect")
                        except urllib.error.HTTPError as exc:
                            assert exc.code == 307
                            assert exc.headers["Location"] == f"{ssm}/sensors/temperature"
                    finally:
                        await host.stop()

    asyncio.run(run())
    assert SCREENSHOT.stat().st_size > 1000


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects instead of following them."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _drive_revocation(url: str) -> dict[str, str]:
    """Revoke the client identity `dave` with the page's form, then the sensor with its button
    (accepting the browser's confirm dialog); what the page showed after each, and after a reload."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser()
    try:
        driver.get(url)  # type: ignore[attr-defined]
        shown: dict[str, str] = {}
        driver.find_element(By.ID, "identity").send_keys("dave")  # type: ignore[attr-defined]
        driver.find_element(By.CSS_SELECTOR, "#revoke-client button").click()  # type: ignore[attr-defined]
        out = driver.find_element(By.ID, "client-out")  # type: ignore[attr-defined]
        WebDriverWait(driver, 20).until(lambda d: out.text != "")
        shown["client"] = out.text
        driver.find_element(By.ID, "identity").clear()  # type: ignore[attr-defined]
        driver.find_element(By.ID, "identity").send_keys("nobody")  # type: ignore[attr-defined]
        driver.find_element(By.CSS_SELECTOR, "#revoke-client button").click()  # type: ignore[attr-defined]
        WebDriverWait(driver, 20).until(lambda d: out.text != shown["client"])
        shown["unknown"] = out.text
        button = driver.find_element(By.CSS_SELECTOR, "button.revoke[data-ep='s1']")  # type: ignore[attr-defined]
        button.click()
        WebDriverWait(driver, 10).until(lambda d: d.switch_to.alert)
        driver.switch_to.alert.accept()  # type: ignore[attr-defined]
        WebDriverWait(driver, 20).until(lambda d: button.text != "revoke")
        shown["button"] = button.text
        shown["sensor"] = driver.find_element(By.ID, button.get_attribute("data-out")).text  # type: ignore[attr-defined]
        driver.refresh()  # type: ignore[attr-defined]
        shown["after"] = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        return shown
    finally:
        driver.quit()  # type: ignore[attr-defined]


def test_page_revokes_a_client_and_a_sensor_in_chromium(tmp_path: Path) -> None:
    """The page's revoke form and button, clicked in Chromium, end the DTLS sessions they affect (the
    TinyDTLS clients get the CCS's close_notify), and the sensor leaves the page."""
    require(shutil.which("chromium") and shutil.which("chromedriver"),
            "Debian chromium + chromium-driver not installed")
    try:
        import selenium  # noqa: F401
    except ImportError:
        require(False, "selenium (pip) not installed")
    from harness.services.stack import SsmServices
    from harness.tinydtls.binding import Alert, PskStore
    from harness.tinydtls.udp import DtlsClient

    async def client(identity: bytes, key: bytes, port: int) -> DtlsClient:
        c = await DtlsClient.create(psk=PskStore({identity: key}, identity=identity))
        await c.connect(("127.0.0.1", port), timeout=10)
        msg = aiocoap.Message(code=aiocoap.GET, uri_path=("sensors", "temperature"))
        msg.mtype, msg.mid, msg.token = aiocoap.CON, 7, b"t"
        answer = await c.request(("127.0.0.1", port), bytes(msg.encode()), 10)
        assert aiocoap.Message.decode(answer).payload == b"22.5 C"
        return c

    def closed(c: DtlsClient) -> bool:
        return any(event == Alert.CLOSE_NOTIFY for _, event, _ in c.events)

    async def run() -> None:
        async with StandinCcsServer(PSK_DN) as ccs:
            cfg = from_dict({
                "ssm": {"listen": ["127.0.0.1:0"], "db": str(tmp_path / "relay.sqlite")},
                "ccs": {"s1": {"address": f"{ccs.address[0]}:{ccs.address[1]}", "psk_dn": PSK_DN.hex()}},
                "clients": {"dave": {"key": "davesPSK", "ccs": "s1"},
                            "erin": {"key": "erinsPSK", "ccs": "s1"}},
            })
            async with Delegator(cfg) as d, SsmServices(d) as services:
                assert services.web is not None
                await register(services.rd_port, "s1")
                port = d.client_port(4)
                dave = await client(b"dave", b"davesPSK", port)
                erin = await client(b"erin", b"erinsPSK", port)
                try:
                    shown = await asyncio.to_thread(_drive_revocation, f"http://127.0.0.1:{services.web.port}/")
                    await asyncio.sleep(0.2)
                    assert shown["client"] == "client dave revoked: 1 sessions closed"
                    assert shown["unknown"] == "error: no client identity 'nobody'"
                    assert shown["button"] == "revoked"
                    assert shown["sensor"] == "ccs s1 revoked: 1 sessions closed"
                    assert "no sensors registered" in shown["after"] and "s1" not in shown["after"]
                    assert closed(dave) and closed(erin) and d.sessions() == [] and ccs.ccs.sessions == {}
                finally:
                    dave.close()
                    erin.close()

    asyncio.run(run())
