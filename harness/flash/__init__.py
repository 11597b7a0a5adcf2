"""Real motes: list them (`esse motes`), flash them through their bootstrap loader (`esse flash`: one
runner, backends with capabilities, dry-run), and watch them (`esse console`). The emulated Telos with
a BSL and an RFC 2217 port lives in harness.emulator.bsl_port.

Importing the package registers `SerialMote` as the driver of harness.target's `SerialPort` resource."""

from harness.flash import serial_mote as serial_mote  # registers the SerialPort driver
