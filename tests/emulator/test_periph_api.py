"""The peripherals' C API (periph.h) as Python, external devices and the radio model use it:
exact ACLK time across DCO changes, paced UART RX, ADC channel values and seeded noise, port
inputs driving edge interrupts and the Timer_B SFD capture.

The functions come from the core's cffi `lib` (its cdef includes csrc/periph_cdef.h)."""

from __future__ import annotations

from emu_helpers import uart_divisor, uart_echo_source

from harness.emulator.asm import assemble
from harness.emulator.mote import Mote, ffi, lib


class PeriphApi:
    """periph_cdef.h functions bound to one Mote: api.clk_now_ns() == lib.clk_now_ns(mote.ptr)."""

    def __init__(self, mote: Mote) -> None:
        self._ptr = mote.ptr

    def __getattr__(self, name: str):
        fn = getattr(lib, name)
        return lambda *args: fn(self._ptr, *args)

    def rx_push(self, usart: int, data: bytes) -> int:
        return lib.uart_rx_push(self._ptr, usart, ffi.from_buffer(data), len(data))


def vectors(**isr: int) -> str:
    slots = ["0"] * 15
    for label, index in isr.items():
        slots[index] = label
    return (
        '\n        .section .vectors,"ax"\n'
        + "".join(f"        .word {s}\n" for s in slots)
        + "        .word _start\n"
    )


WDT_STOP = "mov #0x5a80, &0x0120"


def test_aclk_phase_is_exact_while_the_dco_wanders() -> None:
    """Timer_A up mode on ACLK (TACCR0 = 32767) while the main loop keeps rewriting DCOCTL/BCSCTL1:
    each CCR0 interrupt enters right after ACLK tick 32767 + 32768 k, i.e. at k + 32767/32768 s."""
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        mov #32767, &0x0172
        mov #0x0010, &0x0162
        mov #0x0114, &0x0160      ; ACLK, up, TACLR
        eint
        mov #0x1234, r4
walk:   mov r4, r5                ; xorshift16 picks the next DCO setting
        rla r5
        rla r5
        rla r5
        rla r5
        rla r5
        rla r5
        rla r5
        xor r5, r4
        mov r4, r5
        swpb r5
        rra.b r5
        xor r5, r4
        mov.b r4, &0x0056         ; DCOCTL
        mov r4, r5
        and #3, r5
        bis #0x84, r5             ; RSEL 4..7, XT2OFF
        mov.b r5, &0x0057
        mov #50, r6
delay:  dec r6
        jnz delay
        jmp walk
ta0_isr: reti
""" + vectors(ta0_isr=6)
    m = Mote(assemble(src))
    api = PeriphApi(m)
    seen_hz = set()
    for k in range(4):
        assert m.run_until_pc("ta0_isr", 20_000_000).reason == "stop"
        tick = 32767 + 32768 * k
        assert api.clk_aclk_ticks() == tick
        ns = api.clk_now_ns()
        exact = tick * 1_000_000_000 // 32768
        assert exact <= ns <= exact + 60_000, (k, ns - exact)  # acceptance latency only
        seen_hz.add(m.mclk_hz)
        m.step()
    assert len(seen_hz) > 1  # the DCO really moved


def test_uart_rx_queue_is_paced_at_the_baud_rate() -> None:
    m = Mote(assemble(uart_echo_source(1, 0)))  # placeholder divisor to learn the clock
    m.run(2000)
    ubr, mctl = uart_divisor(m.mclk_hz, 115200)  # SMCLK = MCLK here
    m = Mote(assemble(uart_echo_source(ubr, mctl)))
    api = PeriphApi(m)
    m.run(2000)
    char = api.uart_char_cycles(1)
    assert abs(char * 1e6 / m.mclk_hz - 86.806) < 0.03 * 86.806
    msg = b"hello, mote"
    t0 = m.now
    assert api.rx_push(1, msg) == len(msg)
    assert api.uart_rx_queued(1) == len(msg)
    m.run(char * (len(msg) - 1))
    assert api.uart_rx_queued(1) == 1  # one character per character time
    m.run(3 * char)
    assert m.uart_output() == msg
    assert api.uart_rx_queued(1) == 0
    assert api.uart_rx_ready_cycle(1) >= t0 + len(msg) * char


ADC_SRC = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        mov.b #0x83, &0x0082      ; ADC12MCTL2: EOS | INCH_3
        mov #0x2210, &0x01a2      ; ADC12CTL1: CSTARTADD 2 | SHP, ADC12OSC, single
        mov #0x1100, r5
        mov #8, r6
conv:   mov #0x0013, &0x01a0      ; ADC12ON | ENC | ADC12SC
wait:   bit #4, &0x01a4           ; ADC12IFG2
        jz wait
        mov &0x0144, 0(r5)        ; ADC12MEM2 (clears the flag)
        incd r5
        dec r6
        jnz conv
done:   jmp done
""" + vectors()


def adc_samples(seed: int | None, value: int, noise_bits: int) -> list[int]:
    m = Mote(assemble(ADC_SRC))
    api = PeriphApi(m)
    api.adc_set_channel(3, value)
    api.adc_set_channel_noise(3, noise_bits)
    if seed is not None:
        api.adc_seed(seed)
    assert m.run_until_pc("done", 1_000_000).reason == "stop"
    return [m.read16(0x1100 + 2 * i) for i in range(8)]


def test_adc_channel_value_and_seeded_noise() -> None:
    assert adc_samples(None, 0xABC, 0) == [0xABC] * 8
    a = adc_samples(7, 0x800, 3)
    assert a == adc_samples(7, 0x800, 3)  # same seed, same samples
    assert a != adc_samples(8, 0x800, 3)
    assert all(v & ~7 == 0x800 for v in a) and len(set(a)) > 1


def test_port_inputs_edge_interrupt_and_sfd_capture() -> None:
    """P1.3 (the CC2420 FIFO line) rising edge -> PORT1 ISR; P4.1 (SFD) with P4SEL.1 -> Timer_B
    CCR1 capture of TBR on both edges -> TIMERB1 ISR reads TBIV and TBCCR1."""
    src = f"""
        .text
        .globl _start
_start: mov #0x3900, r1
        {WDT_STOP}
        clr &0x1100
        clr &0x1102
        clr &0x1104
        mov.b #0x08, &0x0025      ; P1IE.3, rising
        bis.b #0x02, &0x001f      ; P4SEL.1: SFD to Timer_B CCI1A
        mov #0x0224, &0x0180      ; TBCTL: SMCLK | continuous | TBCLR
        mov #0xc910, &0x0184      ; TBCCTL1: CM_3 | SCS | CAP | CCIE (CCIS 0: CCI1A)
        eint
idle:   bis #0x0018, r2
        jmp idle
p1_isr: inc &0x1100
        bic.b #0x08, &0x0023
        reti
tb1_isr: mov &0x011e, &0x1102     ; TBIV (2 = CCR1), clears CCIFG
        mov &0x0194, &0x1104      ; captured TBR
        reti
""" + vectors(p1_isr=4, tb1_isr=12)
    m = Mote(assemble(src))
    api = PeriphApi(m)
    m.run(1000)
    api.port_set_input(1, 3, 1)
    m.run(100)
    assert m.read16(0x1100) == 1
    api.port_set_input(1, 3, 0)  # falling edge: not selected
    m.run(100)
    assert m.read16(0x1100) == 1
    assert api.port_get_pin(1, 3) == 0
    m.run(5000)
    tbr = api.timer_counter(1)
    api.port_set_input(4, 1, 1)
    m.run(100)
    assert m.read16(0x1102) == 2
    assert m.read16(0x1104) == tbr
    tbr_fall = api.timer_counter(1)
    api.port_set_input(4, 1, 0)  # CM_3: the falling edge captures too
    m.run(100)
    assert m.read16(0x1104) == tbr_fall != tbr
