"""A Telos mote behind a serial port: a real one (/dev/ttyUSB0) or an emulated one (rfc2217://...).

Both are driven the same way, through the port: bytes of UART1 in and out, reset through the I2C switch
on DTR/RTS, load through the bootstrap loader (esse flash's runner and BSL backend). This is the shape
It is the `SerialPort` driver of the mote interface (harness/target, labgrid's Resource / Driver /
Protocol): `open_target(SerialPort("/dev/ttyUSB0", node_id=3))` gives a `Target` (read_serial,
write_serial, node_id, reset) that is also `Loadable` (load through the BSL). Time is wall-clock time
here, so `run_for` just listens.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import serial

from harness.flash.bsl_backend import MspBslBackend
from harness.flash.console import telosb_reset
from harness.flash.image import check_fits, load_image, with_identity
from harness.flash.runner import FlashError, FlashRequest, Runner
from harness.target.drivers import register_driver
from harness.target.resources import SerialPort
from harness.wire.infomem import Identity


class SerialMote:
    """One mote on one serial port; output is collected by a reader thread while the port is open."""

    def __init__(
        self, port: str, baudrate: int = 115200, work_dir: str | Path = "build/flash", node_id: int = 0
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.work_dir = Path(work_dir)
        self._node_id = node_id
        self._out = bytearray()
        self._read_upto = 0  # read_serial hands out each byte once
        self._lock = threading.Lock()
        self._ser: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self.error: str | None = None
        self.open()

    def open(self) -> None:
        """Open the port and start collecting output."""
        try:
            self._ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.05)
        except (serial.SerialException, ValueError) as exc:
            raise FlashError(f"cannot open {self.port}: {exc}") from None
        self._reader = threading.Thread(target=self._read, args=(self._ser,), daemon=True)
        self._reader.start()

    def _read(self, ser: serial.SerialBase) -> None:
        while ser.is_open:
            try:
                data = ser.read(ser.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if ser.is_open:
                    self.error = f"{self.port} lost: {exc}"
                return
            if data:
                with self._lock:
                    self._out += data

    def close(self) -> None:
        """Close the port (the mote keeps running)."""
        ser, self._ser = self._ser, None
        if ser is not None:
            ser.close()
        if self._reader is not None:
            self._reader.join(timeout=2)

    @property
    def serial(self) -> bytes:
        """Everything UART1 sent while the port was open."""
        with self._lock:
            return bytes(self._out)

    def read_serial(self) -> bytes:
        """UART1 bytes since the previous call (each once; b"" if none)."""
        with self._lock:
            data = bytes(self._out[self._read_upto :])
            self._read_upto = len(self._out)
        return data

    @property
    def node_id(self) -> int:
        """The node id this mote was provisioned with (the resource's, or the identity last loaded)."""
        return self._node_id

    def write_serial(self, data: bytes) -> None:
        """Send bytes to the mote's UART1."""
        if self._ser is None:
            raise FlashError(f"{self.port} is not open")
        self._ser.write(data)

    def reset(self) -> None:
        """Reset through the I2C switch; output collected so far is kept, the new run's follows."""
        if self._ser is None:
            raise FlashError(f"{self.port} is not open")
        telosb_reset(self._ser)

    def load(self, image: str | Path, identity: Identity | None = None) -> None:
        """Flash `image` (+ identity) through the bootstrap loader; the port is the BSL client's meanwhile."""
        flash_image = load_image(image)
        check_fits(flash_image)
        request = FlashRequest(self.port, with_identity(flash_image, identity), identity, self.work_dir)
        self.close()
        try:
            Runner(out=io.StringIO()).flash(MspBslBackend(), request, self.port)
        finally:
            self.open()
        if identity is not None and identity.node_id is not None:
            self._node_id = identity.node_id

    def run_for(self, seconds: float) -> None:
        """Let the mote run (wall-clock time) while its output is collected."""
        time.sleep(seconds)


def open_serial_mote(res: SerialPort) -> SerialMote:
    """The `SerialPort` driver: a SerialMote on the resource's device (a path or a pyserial URL)."""
    return SerialMote(res.device, baudrate=res.baud, node_id=res.node_id)


register_driver(SerialPort, open_serial_mote)
