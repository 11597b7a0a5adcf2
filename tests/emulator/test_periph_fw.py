"""Peripherals driven by real MSP430 code on the emulated CPU (assembled with LLVM): Timer_A on ACLK
waking the CPU from LPM3 once per second, UART1 byte timing at 115200 8N1, a DCO calibration loop
that captures ACLK on Timer_A CCI2B, the hardware multiplier against Python, port and watchdog
interrupts, flash erase/write from code, the ADC12."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from emu_helpers import uart_divisor

from harness.emulator.asm import assemble
from harness.emulator.mote import Mote

WDT_STOP = "mov #0x5a80, &0x0120"
LPM3_GIE = 0x00D8


def vectors(**isr: str) -> str:
    """A .vectors section: keyword = TI vector index (0..14) -> handler label; reset -> _start."""
    slots = ["0"] * 15
    for label, index in isr.items():
        slots[int(index)] = label
    words = "\n".join(f"        .word {s}" for s in slots)
    return f'\n        .section .vectors,"ax"\n{words}\n        .word _start\n'


def load(source: str) -> Mote:
    return Mote(assemble(source))


def dco_setup(rsel: int, dco: int, mod: int) -> str:
    return f"""
        mov.b #{0x80 | rsel}, &0x0057     ; BCSCTL1: XT2OFF, RSEL
        mov.b #{(dco << 5) | mod}, &0x0056 ; DCOCTL: DCO, MOD
"""


def measured_mclk(rsel: int, dco: int, mod: int) -> int:
    """MCLK after the firmware selects (RSEL, DCO, MOD): probe program, stop at `done`."""
    src = f"""
        .text
        .globl _start
_start: {WDT_STOP}
{dco_setup(rsel, dco, mod)}
done:   jmp done
""" + vectors()
    m = load(src)
    m.run_until_pc("done", 1000)
    return m.mclk_hz


def char_cycles(ubr: int, mctl: int, bits: int = 10) -> int:
    return sum(ubr + ((mctl >> (i % 8)) & 1) for i in range(bits))


RSEL, DCO, MOD = 7, 4, 13  # about 3.9 MHz


@pytest.fixture(scope="module")
def lpm3_app():
    """Timer_A CCR0 on ACLK (up mode, TACCR0 = 32767: one interrupt per second) wakes the CPU from
    LPM3; main prints one digit on UART1 (SMCLK, 115200 8N1), waits for TXEPT and sleeps again."""
    mclk = measured_mclk(RSEL, DCO, MOD)
    ubr, mctl = uart_divisor(mclk, 115200)
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
{dco_setup(RSEL, DCO, MOD)}
        mov.b #0x11, &0x0078      ; U1CTL: CHAR | SWRST
        mov.b #0x20, &0x0079      ; U1TCTL: SSEL = SMCLK
        mov.b #{ubr & 0xFF}, &0x007c
        mov.b #{ubr >> 8}, &0x007d
        mov.b #{mctl}, &0x007b
        bis.b #0x30, &0x0005      ; ME2: UTXE1 | URXE1
        bic.b #0x01, &0x0078      ; release SWRST
        mov #32767, &0x0172       ; TACCR0
        mov #0x0010, &0x0162      ; TACCTL0: CCIE
        mov #0x0114, &0x0160      ; TACTL: TASSEL_1 (ACLK) | MC_1 (up) | TACLR
        mov.b #0x30, r5
loop:   bis #{LPM3_GIE}, r2
woke:   mov.b r5, &0x007f         ; U1TXBUF
sent:   inc.b r5
wait:   bit.b #1, &0x0079         ; TXEPT
        jz wait
        jmp loop
ta0_isr:
        bic #0x00f0, 0(r1)        ; wake main: clear the LPM bits of the saved SR
        reti
""" + vectors(ta0_isr=6)
    return load, src, mclk, ubr, mctl


def test_timer_a_aclk_wakes_lpm3_every_second(lpm3_app) -> None:
    load_fn, src, mclk, _, _ = lpm3_app
    m = load_fn(src)
    entries = []
    active = []
    for _ in range(6):
        assert m.run_until_pc("ta0_isr", 3 * mclk).reason == "stop"
        entries.append(m.now)
        active.append(m.mode_cycles()["active"])
        m.step()
    # ACLK tick n falls on cycle ceil(n * mclk / 32768): one second = 32768 ticks, +-1 cycle rounding
    for a, b in pairwise(entries):
        assert abs((b - a) - mclk) <= 1, (b - a, mclk)
    per_second_active = [b - a for a, b in pairwise(active)]
    assert max(per_second_active) < 600, per_second_active  # wake, one byte, TXEPT wait, sleep
    modes = m.mode_cycles()
    assert modes["lpm3"] > 0.9 * m.now
    assert m.uart_output().startswith(b"0123")


def test_uart_char_time_115200(lpm3_app) -> None:
    load_fn, src, mclk, ubr, mctl = lpm3_app
    m = load_fn(src)
    m.run_until_pc("sent", 3 * mclk)
    written = m.now
    result = m.run_until_uart(b"0", 10_000)
    assert result.reason == "uart"
    took = m.now - written
    expect = char_cycles(ubr, mctl)
    # the TXBUF write happens inside the 4-cycle mov.b that ends at `sent`
    assert expect - 5 <= took <= expect + 1, (took, expect)
    micros = expect * 1e6 / mclk
    assert abs(micros - 1e6 * 10 / 115200) < 0.02 * 86.8, micros


def test_dco_calibration_against_aclk_converges() -> None:
    """The board-layer method: Timer_A on SMCLK, capture ACLK edges on CCI2B, step DCOCTL until
    the SMCLK count per ACLK period is the target (3.9 MHz / 32768 = 119)."""
    target = 119
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        mov.b #0x87, &0x0057      ; RSEL 7
        mov.b #0x00, &0x0056      ; DCO 0, MOD 0: start low
        mov #0x0224, &0x0160      ; TACTL: SMCLK | continuous | TACLR
        mov #0x5100, &0x0166      ; TACCTL2: CM_1 | CCIS_1 (ACLK) | CAP
        mov #200, r10             ; iterations
cal:    bic #1, &0x0166
w1:     bit #1, &0x0166
        jz w1
        mov &0x0176, r6
        bic #1, &0x0166
w2:     bit #1, &0x0166
        jz w2
        mov &0x0176, r7
        sub r6, r7                ; SMCLK ticks per ACLK period
        cmp #{target}, r7
        jeq next
        jlo faster
        dec.b &0x0056             ; too fast: step DCO:MOD down
        jmp next
faster: inc.b &0x0056
next:   dec r10
        jnz cal
        mov r7, &0x1100
done:   jmp done
""" + vectors()
    m = load(src)
    assert m.run_until_pc("done", 50_000_000).reason == "stop"
    delta = m.read16(0x1100)
    assert abs(delta - target) <= 1, delta
    assert abs(m.mclk_hz - target * 32768) < 0.015 * target * 32768, m.mclk_hz


def test_multiplier_matches_python() -> None:
    rnd = random.Random(1611)
    pairs = [(rnd.getrandbits(16), rnd.getrandbits(16)) for _ in range(300)]
    table = "\n".join(f"        .word {a}, {b}" for a, b in pairs)
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        mov #pairs, r4
        mov #0x1100, r5
        mov #{len(pairs)}, r6
        clr &0x013a
        clr &0x013c
next:   mov @r4+, r7
        mov @r4+, r8
        mov r7, &0x0130           ; MPY
        mov r8, &0x0138
        mov &0x013a, 0(r5)
        mov &0x013c, 2(r5)
        mov r7, &0x0132           ; MPYS
        mov r8, &0x0138
        mov &0x013a, 4(r5)
        mov &0x013c, 6(r5)
        mov &0x013e, 8(r5)
        mov r7, &0x0136           ; MACS onto the MPYS result
        mov r8, &0x0138
        mov &0x013a, 10(r5)
        mov &0x013c, 12(r5)
        mov &0x013e, 14(r5)
        mov r7, &0x0134           ; MAC onto that
        mov r8, &0x0138
        mov &0x013a, 16(r5)
        mov &0x013c, 18(r5)
        mov &0x013e, 20(r5)
        add #22, r5
        dec r6
        jnz next
done:   jmp done
pairs:
{table}
""" + vectors()
    m = load(src)
    assert m.run_until_pc("done", 2_000_000).reason == "stop"

    def s16(v: int) -> int:
        return v - 0x10000 if v & 0x8000 else v

    for i, (a, b) in enumerate(pairs):
        base = 0x1100 + 22 * i
        words = [m.read16(base + 2 * k) for k in range(11)]
        mpy = a * b
        mpys = (s16(a) * s16(b)) & 0xFFFFFFFF
        macs = (mpys + s16(a) * s16(b)) & 0xFFFFFFFF
        mac_full = macs + a * b
        mac = mac_full & 0xFFFFFFFF
        expect = [
            mpy & 0xFFFF,
            mpy >> 16,
            mpys & 0xFFFF,
            mpys >> 16,
            0xFFFF if mpys & 0x80000000 else 0,
            macs & 0xFFFF,
            macs >> 16,
            0xFFFF if macs & 0x80000000 else 0,
            mac & 0xFFFF,
            mac >> 16,
            mac_full >> 32,
        ]
        assert words == expect, (i, a, b, [hex(w) for w in words], [hex(w) for w in expect])


def test_watchdog_interval_interrupt() -> None:
    """The watchdog in interval mode on ACLK /512 reaches its ISR every 512 ACLK ticks."""
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        clr &0x1102
        mov #0x5a1e, &0x0120      ; WDT interval, ACLK, /512 (WDTPW|TMSEL|CNTCL|SSEL|IS1)
        bis.b #0x01, &0x0000      ; IE1.WDTIE
        eint
idle:   bis #{LPM3_GIE}, r2
        jmp idle
wdt_isr: inc &0x1102              ; WDTIFG auto-clears on acceptance
        reti
""" + vectors(wdt_isr=10)
    m = load(src)
    m.run(m.mclk_hz // 10)
    # 0.1 s = 3276.8 ACLK ticks: 6 watchdog intervals of 512 ticks
    assert m.read16(0x1102) == 6
    assert m.mode_cycles()["lpm3"] > 0.95 * m.now


def test_watchdog_mode_resets_the_chip() -> None:
    """Watchdog mode (the reset state): no WDTCTL write, so after 32 768 SMCLK cycles a PUC;
    WDTIFG in IFG1 survives it and tells the firmware why."""
    src = """
        .text
        .globl _start
_start: mov #0x3900, r1
        inc &0x1100               ; boot count (RAM survives a PUC)
        mov.b &0x0002, &0x1102    ; IFG1 at boot
spin:   jmp spin
""" + vectors()
    m = load(src)
    m.write16(0x1100, 0)
    m.run(32768 + 200)
    assert m.read16(0x1100) == 2
    assert m.read8(0x1102) & 0x01  # WDTIFG


def test_flash_erase_write_lock_and_key_violation_from_code() -> None:
    """Code running from flash erases a segment (CPU held 4819 fFTG cycles), writes a word (35),
    hits LOCK (ACCVIFG), then writes FCTL1 with a wrong key: KEYV and a PUC (RAM survives)."""
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        inc &0x1100               ; boot count (RAM survives a PUC)
        cmp #2, &0x1100
        jeq second
        mov #0xa542, &0x012a      ; FCTL2: FSSEL_1 (MCLK) | FN = 2: fFTG = MCLK / 3
        mov #0xa500, &0x012c      ; FCTL3: unlock
        mov #0xa502, &0x0128      ; FCTL1: ERASE
erase:  clr &0xc010               ; dummy write: erase segment 0xC000-0xC1FF
e_done: mov #0xa540, &0x0128      ; WRT
write:  mov #0x1234, &0xc002
w_done: mov #0xa500, &0x0128
        mov #0xa510, &0x012c      ; LOCK
        mov #0x5678, &0xc004      ; locked: ignored, ACCVIFG
        mov &0x012c, &0x1102
        mov &0x0128, &0x1106
        mov #0x1111, &0x0128      ; wrong key: KEYV + PUC
hang:   jmp hang
second: mov &0x012c, &0x1104
done:   jmp done
""" + vectors()
    m = load(src)
    m.write_bytes(0xC000, bytes(512) + b"\x00" * 16)
    m.write16(0x1100, 0)
    assert m.run_until_pc("erase", 10_000).reason == "stop"
    t0 = m.now
    assert m.run_until_pc("e_done", 100_000).reason == "stop"
    held = m.now - t0
    assert 4819 * 3 <= held <= 4819 * 3 + 8, held
    assert m.read_bytes(0xC000, 512) == b"\xff" * 512
    assert m.read_bytes(0xC200, 16) == bytes(16)  # the next segment is untouched
    assert m.run_until_pc("write", 1000).reason == "stop"
    t0 = m.now
    assert m.run_until_pc("w_done", 10_000).reason == "stop"
    assert 35 * 3 <= m.now - t0 <= 35 * 3 + 8, m.now - t0
    assert m.read16(0xC002) == 0x1234
    assert m.run_until_pc("done", 100_000).reason == "stop"
    assert m.read16(0xC004) == 0xFFFF
    fctl3_locked = m.read16(0x1102)
    assert fctl3_locked & 0xFF00 == 0x9600
    assert fctl3_locked & 0x14 == 0x14  # LOCK | ACCVIFG
    assert m.read16(0x1106) == 0x9600  # ERASE cleared itself; WRT cleared by software
    assert m.read16(0x1100) == 2  # the key violation reset the chip
    assert m.read16(0x1104) & 0x12 == 0x12  # KEYV survives the PUC it caused; LOCK is back


def test_uart_on_smclk_stalls_in_lpm3() -> None:
    """SMCLK stops in LPM3 (SCG1): a character written just before sleeping finishes only after the
    Timer_A (ACLK) wake-up half a second later; in LPM0 it would finish at once."""
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        mov.b #0x11, &0x0078
        mov.b #0x20, &0x0079      ; SMCLK
        mov.b #8, &0x007c         ; about 94 kbaud at the reset DCO
        mov.b #0, &0x007d
        mov.b #0, &0x007b
        bis.b #0x20, &0x0005      ; UTXE1
        bic.b #0x01, &0x0078
        mov #16383, &0x0172       ; half a second of ACLK
        mov #0x0010, &0x0162
        mov #0x0114, &0x0160
        mov.b #0x41, &0x007f      ; 'A' starts shifting...
        bis #{LPM3_GIE}, r2       ; ...and SMCLK stops
woke:   jmp woke
ta0_isr: bic #0x00f0, 0(r1)
        reti
""" + vectors(ta0_isr=6)
    m = load(src)
    half_second = m.mclk_hz // 2
    m.run(half_second - 1000)
    assert m.uart_output() == b""  # stalled in LPM3
    result = m.run_until_uart(b"A", 2000)
    assert result.reason == "uart"
    assert half_second - 1000 < m.now < half_second + 200
