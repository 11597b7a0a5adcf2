"""The Sky board layer on the emulated MSP430: alarm on Timer_A CCR1 and sleep in LPM3.

A throw-away app (built from a temp folder) arms three alarms 0.1 s apart, one in the past and
one beyond a Timer_A wrap (> 65 536 ticks), sleeping in LPM3 in between, and prints when each
fired; the emulator's mode accounting shows the CPU asleep most of the time.
"""

from __future__ import annotations

import re

import pytest
from requirements import require_module

from harness.build import build_app

emulator = require_module("harness.emulator.mote", "python setup.py build_ext --inplace")

APP = r"""
#include <stdio.h>
#include "sky.h"

int main(void)
{
    sky_init();
    printf("sleep test\n");
    uint32_t t0 = sky_clock_ticks();
    for (uint16_t i = 1; i <= 3; i++) {
        sky_clock_set_alarm(t0 + (uint32_t)i * 3277u);
        while (!sky_clock_alarm_expired())
            sky_sleep(SKY_LPM3);
        printf("alarm %u at %lu\n", i, (unsigned long)(sky_clock_ticks() - t0));
    }
    sky_clock_set_alarm(t0);
    printf("past %d\n", sky_clock_alarm_expired());
    uint32_t t1 = sky_clock_ticks();
    sky_clock_set_alarm(t1 + 70000u);
    while (!sky_clock_alarm_expired())
        sky_sleep(SKY_LPM3);
    printf("long %lu\n", (unsigned long)(sky_clock_ticks() - t1));
    printf("done\n");
    for (;;)
        sky_sleep(SKY_LPM3);
}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sleepapp")
    app = root / "sleeptest"
    app.mkdir()
    (app / "main.c").write_text(APP)
    res = build_app(app, build_root=root / "build")
    mote = emulator.Mote(res.elf, node_id=1)
    r = mote.run_until_uart(rb"sleep test\n", max_cycles=20_000_000)
    assert r.reason == "uart", mote.uart_text()
    before = mote.mode_cycles()
    r = mote.run_until_uart(rb"done\n", max_cycles=40_000_000)
    assert r.reason == "uart", mote.uart_text()
    after = mote.mode_cycles()
    spent = {k: after[k] - before.get(k, 0) for k in after}
    return mote.uart_text(), spent


def test_alarms_fire_on_time(run):
    text, _ = run
    fired = [int(t) for t in re.findall(r"alarm \d at (\d+)", text)]
    assert len(fired) == 3
    for i, t in enumerate(fired, start=1):
        assert i * 3277 <= t <= i * 3277 + 3, fired  # a wake-up takes well under a tick
    assert "past 1" in text
    long_wait = int(re.search(r"long (\d+)", text).group(1))
    assert 70000 <= long_wait <= 70003


def test_cpu_sleeps_in_lpm3_between_alarms(run):
    _, spent = run
    total = sum(spent.values())
    assert spent["lpm3"] > 0.9 * total, spent
