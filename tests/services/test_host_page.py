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
                    ctx = await aiocoap.Context.create_client_context()
                    msg = aiocoap.Message(code=aiocoap.POST, payload=LINKS,
                                          uri=f"coap://127.0.0.1:{rd.port}/rd?ep=s1&lt=300")
                    msg.opt.content_format = ContentFormat.LINKFORMAT
                    assert (await ctx.request(msg).response).code == aiocoap.CREATED
                    await ctx.shutdown()
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
