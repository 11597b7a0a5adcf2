"""Host stand-ins for the mote side: `ccs.py` is a constrained CoAP sensor (CCS) that runs the mote's C
record layer and SSM codec (harness.hostfw) behind UDP, for the SSM's tests and benchmark."""
