"""Secure Service Manager: the DTLS handshake delegator (`delegator.py`), its relay table, the AEAD of
the SSM<->CCS protocol (`protocol.py`; the framing is harness/wire/ssm.py) and how it reaches CCSs
(`transport.py`). CLI: `esse ssm run --config FILE` (`cli.py`)."""
