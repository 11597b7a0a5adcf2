"""python-msp430-tools' TelosB BSL client, run as `python -m harness.flash.telosb_client ARGS`.

Same options and protocol code as `python -m msp430.bsl.target.telosb` (python-msp430-tools 0.10.0);
the only difference: 0.10.0's SerialBSLTarget.open_connection calls `start_bsl(prompt_before_release)`
while TelosBTarget.start_bsl takes no argument, so the module's own entry point fails before the BSL
entry sequence ("start_bsl() takes 1 positional argument but 2 were given"). This entry point accepts
that argument; the I2C entry sequence, the BSL frames and the reset are the library's, unmodified.
"""

from __future__ import annotations

from msp430.bsl.target.telosb import TelosBTarget


class TelosB(TelosBTarget):
    """TelosBTarget whose start_bsl() takes the argument the base class passes."""

    def start_bsl(self, prompt_before_release: bool = False) -> None:
        """The library's TelosB BSL entry through the I2C switch (no prompt on this board)."""
        super().start_bsl()


def main() -> None:
    """Run the client with the command line of `python -m msp430.bsl.target.telosb`."""
    TelosB().main()


if __name__ == "__main__":
    main()
