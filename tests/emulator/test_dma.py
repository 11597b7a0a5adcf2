"""The DMA controller (csrc/periph_dma.c) driven by MSP430 code on the emulated CPU: memory-to-memory
block copies in every byte/word and increment combination with their cycle cost, single and repeated
single transfers started by DMAREQ, a Timer_A CCR2 trigger (active and LPM0, with the LPM restart
cycle), USART1 UART transmit and receive paced by UTXIFG1 / URXIFG1 (also with the CPU in LPM3), a
USART0 SPI exchange paced by UTXIFG0 / URXIFG0, DMAIFG on vector 0xFFE0, fixed and round-robin
priorities, channel chaining (trigger 14), burst-block mode, ENNMI / DMAABORT, and translated code
running these programs exactly as the interpreter does.

Cycle rules (periph_dma.c, from the family user's guide "DMA Transfer Cycle Time"): one
synchronisation cycle per single transfer or block, two cycles per byte/word, one wait cycle after,
plus one cycle to restart MCLK when the CPU is off."""

from __future__ import annotations

import pytest
from emu_helpers import STOP_WATCHDOG, mote_from_asm

from harness.emulator.mote import Mote, lib
from harness.emulator.translate import Region, attached, translate

DMACTL0, DMACTL1 = 0x0122, 0x0124
# DMAxCTL bits
REQ, ABORT, IE, IFG, EN = 0x0001, 0x0002, 0x0004, 0x0008, 0x0010
DSTBYTE, SRCBYTE = 0x0080, 0x0040
SRC_INC, SRC_DEC, DST_INC, DST_DEC = 0x0300, 0x0200, 0x0C00, 0x0800
SINGLE, BLOCK, BURST, REP_SINGLE = 0x0000, 0x1000, 0x2000, 0x4000
ENNMI, ROUNDROBIN = 0x0001, 0x0002
# DMAxTSEL
T_REQ, T_TACCR2, T_URXIFG0, T_UTXIFG0, T_URXIFG1, T_UTXIFG1, T_MPY, T_CHAIN = 0, 1, 3, 4, 9, 10, 11, 14

SYNC, XFER, WAIT = 1, 2, 1  # cycles (module docstring)


def ch(n: int, reg: str) -> int:
    """Address of channel n's register CTL, SA, DA or SZ."""
    return 0x01E0 + 8 * n + {"CTL": 0, "SA": 2, "DA": 4, "SZ": 6}[reg]


def channel(n: int, sa: str, da: str, sz: int | str) -> str:
    """Assembly setting channel n's DMAxSA, DMAxDA and DMAxSZ."""
    return "\n".join(f"        mov #{v}, &{ch(n, r)}" for r, v in (("SA", sa), ("DA", da), ("SZ", sz)))


def program(body: str, data: str = "", isr: str = "", vectors: dict[int, str] | None = None) -> str:
    """A program: stack, watchdog off, `body`, then `done: jmp done`; `data` in .data, `isr` after it."""
    slots = ["0"] * 15
    for index, label in (vectors or {}).items():
        slots[index] = label
    words = "\n".join(f"        .word {s}" for s in slots)
    return f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {STOP_WATCHDOG}
{body}
done:   jmp done
{isr}
        .data
{data}
        .section .vectors,"ax"
{words}
        .word _start
"""


def run_to_done(m: Mote, max_cycles: int = 2_000_000) -> None:
    assert m.run_until_pc("done", max_cycles).reason == "stop"


def block_copy(ctl: int, n: int, src: str, dst: str) -> str:
    """Channel 0: SA, DA, SZ, CTL (enabled), then DMAREQ at `go`; `after` follows the transfer."""
    return program(f"""
{channel(0, src, dst, n)}
        mov #{ctl | EN}, &{ch(0, "CTL")}
go:     bis #{REQ}, &{ch(0, "CTL")}
after:  mov &{ch(0, "CTL")}, r12
        mov &{ch(0, "SZ")}, r13
""", data="""
src:    .byte 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0f
dst:    .fill 16, 1, 0x5a
""")


SRC = bytes([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xF0, 0x0F])


def test_registers_reset_to_zero() -> None:
    m = mote_from_asm(program("        nop"))
    run_to_done(m)
    for a in [DMACTL0, DMACTL1] + [ch(n, r) for n in range(3) for r in ("CTL", "SA", "DA", "SZ")]:
        assert m.read16(a) == 0, hex(a)
    assert lib.dma_transfers(m.ptr) == 0


def test_block_copy_words_cycles_and_end_state() -> None:
    """Eight words in one block: the CPU is held 1 + 2 * 8 + 1 cycles after the DMAREQ write;
    DMAxSZ is reloaded, DMAEN cleared, DMAIFG set, DMAxSA/DA keep their programmed values."""
    m = mote_from_asm(block_copy(BLOCK | SRC_INC | DST_INC, 8, "src", "dst"))
    m.run_until_pc("go", 10_000)
    t0 = m.now
    m.run_until_pc("after", 10_000)
    assert m.now - t0 == 4 + SYNC + 8 * XFER + WAIT  # BIS #1, &abs: 4 cycles
    run_to_done(m)
    dst = m.symbol("dst")
    assert m.read_bytes(dst, 16) == SRC
    assert m.reg(12) & (EN | IFG | REQ) == IFG
    assert m.reg(13) == 8
    assert m.read16(ch(0, "SA")) == m.symbol("src") and m.read16(ch(0, "DA")) == dst
    assert lib.dma_transfers(m.ptr) == 8


@pytest.mark.parametrize(
    "ctl, n, src_off, dst_off, expect",
    [
        # byte to byte, both incrementing
        (SRCBYTE | DSTBYTE | SRC_INC | DST_INC, 5, 0, 0, SRC[:5] + b"\x5a" * 11),
        # byte to byte, both decrementing from the last byte
        (SRCBYTE | DSTBYTE | SRC_DEC | DST_DEC, 4, 3, 3, SRC[:4] + b"\x5a" * 12),
        # word to byte: the low bytes
        (DSTBYTE | SRC_INC | DST_INC, 4, 0, 0, bytes([0x11, 0x33, 0x55, 0x77]) + b"\x5a" * 12),
        # byte to word: the high byte cleared
        (SRCBYTE | SRC_INC | DST_INC, 3, 0, 0, bytes([0x11, 0, 0x22, 0, 0x33, 0]) + b"\x5a" * 10),
        # fixed source word filling the destination (words decrementing from the last)
        (DST_DEC, 3, 0, 4, bytes([0x11, 0x22] * 3) + b"\x5a" * 10),
        # fixed destination: the last word stays
        (SRC_INC, 4, 0, 0, bytes([0x77, 0x88]) + b"\x5a" * 14),
    ],
)
def test_block_copy_sizes_and_directions(ctl: int, n: int, src_off: int, dst_off: int, expect: bytes) -> None:
    m = mote_from_asm(block_copy(BLOCK | ctl, n, f"src+{src_off}", f"dst+{dst_off}"))
    run_to_done(m)
    assert m.read_bytes(m.symbol("dst"), 16) == expect
    assert lib.dma_transfers(m.ptr) == n


def test_single_transfers_by_dmareq() -> None:
    """Single-transfer mode: each DMAREQ moves one word (4 DMA cycles) and DMAxSZ counts down; at
    zero it is reloaded, DMAIFG set and DMAEN cleared; a fourth DMAREQ then moves nothing."""
    body = f"""
{channel(0, "src", "dst", 3)}
        mov #{SINGLE | SRC_INC | DST_INC | EN}, &{ch(0, "CTL")}
        mov #log, r10
""" + "".join(f"""
        bis #{REQ}, &{ch(0, "CTL")}
        mov &{ch(0, "SZ")}, 0(r10)
        mov &{ch(0, "CTL")}, 2(r10)
        add #4, r10
""" for _ in range(4))
    m = mote_from_asm(program(body, data="""
src:    .word 0x1234, 0x5678, 0x9abc, 0xdef0
dst:    .fill 4, 2, 0
log:    .fill 8, 2, 0
"""))
    run_to_done(m)
    log = [m.read16(m.symbol("log") + 2 * i) for i in range(8)]
    sizes, ctls = log[0::2], log[1::2]
    assert sizes == [2, 1, 3, 3]
    assert [c & (EN | IFG) for c in ctls] == [EN, EN, IFG, IFG]
    assert [m.read16(m.symbol("dst") + 2 * i) for i in range(4)] == [0x1234, 0x5678, 0x9ABC, 0]
    assert lib.dma_transfers(m.ptr) == 3


def test_repeated_single_reloads_addresses() -> None:
    """Repeated single transfer (DMADT 4), DMAxSZ = 2: after two transfers SA/DA and SZ are reloaded
    from the temporaries and DMAEN stays set."""
    body = f"""
{channel(0, "src", "dst", 2)}
        mov #{REP_SINGLE | SRC_INC | DST_INC | EN}, &{ch(0, "CTL")}
        mov #log, r10
""" + "".join(f"""
        bis #{REQ}, &{ch(0, "CTL")}
        mov &dst, 0(r10)
        mov &dst+2, 2(r10)
        clr &dst
        clr &dst+2
        add #4, r10
""" for _ in range(3))
    m = mote_from_asm(program(body + f"        mov &{ch(0, 'CTL')}, r12", data="""
src:    .word 0xaaaa, 0xbbbb
dst:    .fill 2, 2, 0
log:    .fill 6, 2, 0
"""))
    run_to_done(m)
    log = [m.read16(m.symbol("log") + 2 * i) for i in range(6)]
    assert log == [0xAAAA, 0, 0, 0xBBBB, 0xAAAA, 0]
    assert m.reg(12) & EN and m.reg(12) & IFG


def timer_program(lpm0: bool) -> str:
    """Timer_A up mode on SMCLK (= MCLK), period 100, CCR2 = 50 without CCIE; channel 0 on TACCR2
    copies TAR into `buf` four times (single transfers). Active: the CPU polls DMAEN. LPM0: the CPU
    sleeps and the DMAIFG interrupt (0xFFE0) wakes it."""
    wait = (
        f"""
        mov #{SINGLE | DST_INC | EN | IE}, &{ch(0, "CTL")}
        mov #0x0214, &0x0160     ; TACTL: SMCLK, up mode, clear
        bis #0x18, r2            ; LPM0 + GIE until the DMA interrupt
        mov &{ch(0, "CTL")}, r12
        mov &isr_count, r13
"""
        if lpm0
        else f"""
        mov #{SINGLE | DST_INC | EN}, &{ch(0, "CTL")}
        mov #0x0214, &0x0160     ; TACTL: SMCLK, up mode, clear
wait:   bit #{EN}, &{ch(0, "CTL")}
        jnz wait
        mov &{ch(0, "CTL")}, r12
"""
    )
    return program(f"""
        mov #99, &0x0172         ; TACCR0
        mov #50, &0x0176         ; TACCR2
        mov #{T_TACCR2}, &{DMACTL0}
{channel(0, "0x0170", "buf", 4)}
{wait}
""", data="""
buf:    .fill 4, 2, 0xffff
isr_count: .word 0
""", isr=f"""
dma_isr: inc &isr_count
        bic #{IFG}, &{ch(0, "CTL")}   ; DMAIFG is not cleared by the acceptance
        bic #0x10, 0(r1)
        reti
""", vectors={0: "dma_isr"})


def test_timer_a_ccr2_trigger_active() -> None:
    m = mote_from_asm(timer_program(lpm0=False))
    run_to_done(m)
    buf = [m.read16(m.symbol("buf") + 2 * i) for i in range(4)]
    # read after the instruction in progress (at most 6 cycles) and the synchronisation cycle
    assert all(50 + SYNC <= v <= 50 + SYNC + 6 for v in buf), buf
    assert m.reg(12) & (EN | IFG) == IFG
    # CCIFG was reset by each transfer start and never interrupted (CCIE off): TACCTL2 has no CCIE
    assert m.read16(0x0166) & 0x0010 == 0


def test_timer_a_ccr2_trigger_in_lpm0_restarts_mclk() -> None:
    """With the CPU in LPM0 the transfer starts at the compare: one cycle to restart MCLK, the
    synchronisation cycle, then the read of TAR (one count per cycle)."""
    m = mote_from_asm(timer_program(lpm0=True))
    run_to_done(m)
    buf = [m.read16(m.symbol("buf") + 2 * i) for i in range(4)]
    assert buf == [50 + 1 + SYNC] * 4
    assert m.reg(13) == 1  # one DMA interrupt, after the fourth transfer
    assert m.reg(12) & (EN | IFG) == 0


def uart1_setup(ssel: int = 0x20, ubr: int = 16) -> str:
    return f"""
        mov.b #0x11, &0x0078     ; U1CTL: CHAR | SWRST
        mov.b #{ssel}, &0x0079   ; U1TCTL: BRCLK
        mov.b #{ubr}, &0x007c
        mov.b #0, &0x007d
        mov.b #0, &0x007b
        bis.b #0x30, &0x0005     ; ME2: UTXE1 | URXE1
        bic.b #0x01, &0x0078     ; release SWRST
"""


MESSAGE = b"DMA says hello over UART1\r\n"

UART_TX = program(uart1_setup() + f"""
        mov #{T_UTXIFG1}, &{DMACTL0}
        ; msg -> U1TXBUF
{channel(0, "msg", "0x007f", len(MESSAGE))}
        mov #{SINGLE | SRCBYTE | DSTBYTE | SRC_INC | EN}, &{ch(0, "CTL")}
        bic.b #0x20, &0x0003     ; UTXIFG1 low, then high: the rising edge starts the first transfer
        bis.b #0x20, &0x0003
        clr r11
wait:   inc r11                  ; the CPU runs on while the bytes go out
        bit #{EN}, &{ch(0, "CTL")}
        jnz wait
txept:  bit.b #1, &0x0079
        jz txept
""", data="msg:    .ascii \"" + MESSAGE.decode().replace("\r", "\\r").replace("\n", "\\n") + "\"")


def test_uart1_transmit_paced_by_utxifg1() -> None:
    m = mote_from_asm(UART_TX)
    run_to_done(m, 5_000_000)
    assert m.uart_output() == MESSAGE
    assert lib.dma_transfers(m.ptr) == len(MESSAGE)
    assert m.reg(11) > 10 * len(MESSAGE)  # the CPU was not held between the bytes


def uart_rx_program(lpm3: bool) -> str:
    sleep = "        bis #0xd0, r2            ; LPM3 for good: the DMA alone receives" if lpm3 else f"""
wait:   bit #{EN}, &{ch(0, "CTL")}
        jnz wait"""
    return program(uart1_setup(ssel=0x10 if lpm3 else 0x20, ubr=3 if lpm3 else 16) + f"""
        mov #{T_URXIFG1}, &{DMACTL0}
        ; U1RXBUF -> buf
{channel(0, "0x007e", "buf", 5)}
        mov #{SINGLE | SRCBYTE | DSTBYTE | DST_INC | EN}, &{ch(0, "CTL")}
ready:
{sleep}
""", data="buf:    .fill 6, 1, 0")


def test_uart1_receive_into_ram_paced_by_urxifg1() -> None:
    m = mote_from_asm(uart_rx_program(lpm3=False))
    m.run_until_pc("ready", 100_000)
    m.uart_send(b"abcdefg")
    run_to_done(m, 5_000_000)
    assert m.read_bytes(m.symbol("buf"), 6) == b"abcde\x00"
    assert m.uart_rx_health().lost == 0
    assert lib.dma_transfers(m.ptr) == 5


def test_uart1_receive_with_the_cpu_in_lpm3() -> None:
    """UART1 on ACLK with the CPU in LPM3: the DMA moves each byte (restarting MCLK from the DCO)
    and the CPU never wakes."""
    m = mote_from_asm(uart_rx_program(lpm3=True))
    m.run_until_pc("ready", 100_000)
    m.uart_send(b"12345")
    m.run_for(0.05)
    assert m.read_bytes(m.symbol("buf"), 6) == b"12345\x00"
    assert m.cpu_mode() == "lpm3"
    assert m.read16(ch(0, "CTL")) & (EN | IFG) == IFG
    assert m.mode_cycles()["active"] < 1000  # the setup only


def test_transfer_in_lpm3_waits_for_the_dco() -> None:
    """The first received byte's transfer with the CPU in LPM3: MCLK restarts from the DCO (one
    cycle plus the DCO start-up, dco_wake_ns), then 1 + 2 + 1 cycles; the run stops right after it."""
    m = mote_from_asm(uart_rx_program(lpm3=True))
    m.run_until_pc("ready", 100_000)
    m.run(100)
    m.uart_send(b"z")
    buf = m.symbol("buf")
    arrival = m.now
    while m.read8(buf) == 0:  # one cycle at a time: the step that ends at the byte's arrival
        arrival = m.now + 1
        m.run_until_cycle(arrival)
    wake = -(-m.mclk_hz * m.ptr.dco_wake_ns // 1_000_000_000)
    assert wake > 1
    assert m.now - arrival == 1 + wake + SYNC + XFER + WAIT


SPI_EXCHANGE = program(f"""
        mov.b #0x01, &0x0070     ; U0CTL: SWRST
        mov.b #0x17, &0x0070     ; CHAR | SYNC | MM | SWRST
        mov.b #0x22, &0x0071     ; U0TCTL: SMCLK, STC
        mov.b #2, &0x0074
        mov.b #0, &0x0075
        bis.b #0x40, &0x0004     ; ME1: USPIE0
        bic.b #0x01, &0x0070
        mov #{T_URXIFG0 | (T_UTXIFG0 << 4)}, &{DMACTL0}
        ; U0RXBUF -> rx
{channel(0, "0x0076", "rx", 8)}
        mov #{SINGLE | SRCBYTE | DSTBYTE | DST_INC | EN}, &{ch(0, "CTL")}
        ; tx -> U0TXBUF
{channel(1, "tx", "0x0077", 8)}
        mov #{SINGLE | SRCBYTE | DSTBYTE | SRC_INC | EN}, &{ch(1, "CTL")}
        bic.b #0x80, &0x0002     ; UTXIFG0 edge: the first byte
        bis.b #0x80, &0x0002
wait:   bit #{EN}, &{ch(0, "CTL")}
        jnz wait
""", data="""
tx:     .byte 1, 2, 3, 4, 5, 6, 7, 8
rx:     .fill 8, 1, 0x11
""")


def test_spi0_exchange_paced_by_utxifg0_and_urxifg0() -> None:
    """USART0 SPI master with no device (MISO reads 0xFF): channel 1 feeds TXBUF on UTXIFG0,
    channel 0 empties RXBUF on URXIFG0; all eight bytes go out and come back."""
    m = mote_from_asm(SPI_EXCHANGE)
    run_to_done(m)
    assert lib.uart_tx_count(m.ptr, 0) == 8
    assert m.read_bytes(m.symbol("rx"), 8) == b"\xff" * 8
    assert m.read16(ch(1, "CTL")) & (EN | IFG) == IFG
    assert lib.dma_transfers(m.ptr) == 16


def priority_program(roundrobin: bool) -> str:
    """Channels 0 and 1 both on the multiplier trigger, each copying its word to `x`. Channel 0 runs
    alone first; then both are triggered by one OP2 write: the one served last leaves its word."""
    return program(f"""
        mov #{ROUNDROBIN if roundrobin else 0}, &{DMACTL1}
        mov #{T_MPY | (T_MPY << 4)}, &{DMACTL0}
{channel(0, "a", "x", 1)}
{channel(1, "b", "x", 1)}
        mov #{REP_SINGLE | EN}, &{ch(0, "CTL")}
        mov #3, &0x0130          ; MPY
        mov #5, &0x0138          ; OP2: channel 0 alone
        mov &x, r10
        mov #{REP_SINGLE | EN}, &{ch(1, "CTL")}
        mov #7, &0x0138          ; OP2: both
        mov &x, r11
        mov &0x013a, r12         ; RESLO
""", data="""
a:      .word 0xaaaa
b:      .word 0xbbbb
x:      .word 0
""")


@pytest.mark.parametrize("roundrobin, last", [(False, 0xBBBB), (True, 0xAAAA)])
def test_priorities_fixed_and_round_robin(roundrobin: bool, last: int) -> None:
    """Fixed: 0 before 1. Round robin: channel 0 having transferred last is now the lowest."""
    m = mote_from_asm(priority_program(roundrobin))
    run_to_done(m)
    assert (m.reg(10), m.reg(11), m.reg(12)) == (0xAAAA, last, 21)
    assert lib.dma_transfers(m.ptr) == 3


def test_chained_channels_and_dma_interrupt() -> None:
    """Channel 0 copies a block on DMAREQ; its DMA0IFG (trigger 14) starts channel 1's block; channel
    1's DMAIFG with DMAIE interrupts on 0xFFE0 and the handler sees both flags."""
    m = mote_from_asm(program(f"""
        mov #{T_REQ | (T_CHAIN << 4)}, &{DMACTL0}
{channel(0, "src", "mid", 4)}
{channel(1, "mid", "dst", 4)}
        mov #{BLOCK | SRC_INC | DST_INC | EN | IE}, &{ch(1, "CTL")}
        mov #{BLOCK | SRC_INC | DST_INC | EN}, &{ch(0, "CTL")}
        eint
        bis #{REQ}, &{ch(0, "CTL")}
        nop
        dint
""", data="""
src:    .word 1, 2, 3, 4
mid:    .fill 4, 2, 0
dst:    .fill 4, 2, 0
seen:   .word 0, 0
""", isr=f"""
dma_isr: mov &{ch(0, "CTL")}, &seen
        mov &{ch(1, "CTL")}, &seen+2
        bic #{IFG}, &{ch(1, "CTL")}
        reti
""", vectors={0: "dma_isr"}))
    run_to_done(m)
    assert [m.read16(m.symbol("dst") + 2 * i) for i in range(4)] == [1, 2, 3, 4]
    seen0, seen1 = m.read16(m.symbol("seen")), m.read16(m.symbol("seen") + 2)
    assert seen0 & (IFG | EN) == IFG and seen1 & (IFG | EN) == IFG
    assert m.read16(ch(1, "CTL")) & IFG == 0


def burst_program(ennmi: bool) -> str:
    """A 16-word burst-block copy; between the first bursts the CPU sets OFIE (OFIFG is set after
    reset): with ENNMI the pending NMI stops the DMA, and the NMI handler clears OFIFG."""
    return program(f"""
        mov #{ENNMI if ennmi else 0}, &{DMACTL1}
{channel(0, "src", "dst", 16)}
        mov #{BURST | SRC_INC | DST_INC | EN | REQ}, &{ch(0, "CTL")}
        bis.b #0x02, &0x0000     ; OFIE: NMI pending
        nop
wait:   bit #{EN}, &{ch(0, "CTL")}
        jnz wait
        mov &{ch(0, "CTL")}, r12
""", data="""
src:    .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
dst:    .fill 16, 2, 0
""", isr="""
nmi:    bic.b #0x02, &0x0002     ; OFIFG
        reti
""", vectors={14: "nmi"})


@pytest.mark.parametrize("ennmi", [False, True])
def test_burst_block_and_nmi_abort(ennmi: bool) -> None:
    m = mote_from_asm(burst_program(ennmi))
    run_to_done(m)
    dst = [m.read16(m.symbol("dst") + 2 * i) for i in range(16)]
    if ennmi:
        assert lib.dma_transfers(m.ptr) == 4  # the first burst only
        assert dst == [1, 2, 3, 4] + [0] * 12
        assert m.reg(12) & (ABORT | EN | IFG) == ABORT
    else:
        assert lib.dma_transfers(m.ptr) == 16
        assert dst == list(range(1, 17))
        assert m.reg(12) & (ABORT | EN | IFG) == IFG


def test_burst_block_lets_the_cpu_run_between_bursts() -> None:
    """Burst-block: 2 CPU cycles after every 4 transfers, so a counting loop advances during the
    block; in block mode it does not."""
    counts = {}
    for mode in (BLOCK, BURST):
        m = mote_from_asm(program(f"""
{channel(0, "src", "dst", 64)}
        clr r11
        mov #{mode | SRC_INC | DST_INC | EN | REQ}, &{ch(0, "CTL")}
wait:   inc r11
        bit #{EN}, &{ch(0, "CTL")}
        jnz wait
""", data="""
src:    .fill 64, 2, 0x1234
dst:    .fill 64, 2, 0
"""))
        run_to_done(m)
        assert m.read_bytes(m.symbol("dst"), 128) == b"\x34\x12" * 64
        counts[mode] = m.reg(11)
    assert counts[BLOCK] == 1
    assert counts[BURST] >= 4


def test_adc12_conversions_moved_by_dma() -> None:
    """Trigger 6: each single-channel conversion's ADC12IFGx moves ADC12MEM2 to RAM; the DMA's read
    of ADC12MEM2 clears ADC12IFG2 as the CPU's would."""
    m = mote_from_asm(program(f"""
        mov.b #0x83, &0x0082     ; ADC12MCTL2: EOS | INCH_3
        mov #0x2210, &0x01a2     ; ADC12CTL1: CSTARTADD 2 | SHP, single channel
        mov #6, &{DMACTL0}
{channel(0, "0x0144", "buf", 4)}
        mov #{SINGLE | DST_INC | EN}, &{ch(0, "CTL")}
        mov #4, r6
conv:   mov #0x0013, &0x01a0     ; ADC12ON | ENC | ADC12SC
busy:   bit #1, &0x01a2          ; ADC12BUSY
        jnz busy
        dec r6
        jnz conv
wait:   bit #{EN}, &{ch(0, "CTL")}
        jnz wait
        mov &0x01a4, r12         ; ADC12IFG
""", data="buf:    .fill 5, 2, 0"))
    lib.adc_set_channel(m.ptr, 3, 0x9AB)
    run_to_done(m)
    assert [m.read16(m.symbol("buf") + 2 * i) for i in range(5)] == [0x9AB] * 4 + [0]
    assert m.reg(12) == 0


def _lock_step(a: Mote, b: Mote, total: int, rx: bytes = b"") -> None:
    """a interpreted, b translated, run to the same limits; the whole state must agree."""
    limits = [1, 3, 7, 50, 333, 1000, 20_000]
    i = 0
    sent = False
    while a.now < total:
        if rx and not sent and a.now > 2000:
            a.uart_send(rx)
            b.uart_send(rx)
            sent = True
        limit = a.now + limits[i % len(limits)]
        i += 1
        a.run_until_cycle(limit)
        b.run_until_cycle(limit)
        assert (a.regs, a.now, a.mode_cycles()) == (b.regs, b.now, b.mode_cycles()), f"cycle {a.now}"
        assert a.read_bytes(0, 0x10000) == b.read_bytes(0, 0x10000), f"cycle {a.now}"
        assert a.uart_output() == b.uart_output()


@pytest.mark.parametrize("name", ["uart_tx", "uart_rx", "timer", "spi", "burst"])
def test_translated_code_runs_dma_programs_as_the_interpreter(name: str) -> None:
    source = {
        "uart_tx": UART_TX,
        "uart_rx": uart_rx_program(lpm3=False),
        "timer": timer_program(lpm0=True),
        "spi": SPI_EXCHANGE,
        "burst": burst_program(ennmi=True),
    }[name]
    a, b = mote_from_asm(source), mote_from_asm(source)
    translate(b, [Region("program", 0x4000, b.symbol("done") + 2)])
    assert attached(b)
    _lock_step(a, b, 400_000, rx=b"xyzzy" if name == "uart_rx" else b"")
    assert attached(b) and b._m.xlat_runs > 0
    assert lib.dma_transfers(a.ptr) == lib.dma_transfers(b.ptr) > 0
