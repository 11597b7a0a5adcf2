"""Errors of the emulator's host API that the mote interface (harness.target) re-exports."""

from __future__ import annotations


class SerialOverflow(RuntimeError):
    """Serial bytes were lost (or would be) because a buffer was full: the message says where."""
