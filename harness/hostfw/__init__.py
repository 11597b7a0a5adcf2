"""Host builds of the mote's C through cffi: the DTLS record layer and the CCS side of the SSM protocol
(firmware/dtls_record, firmware/ssm_client) as `harness.hostfw._record`, for the stand-in CCS and the
tests. The firmware stays the C's home; this is the one place that compiles it for the host."""
