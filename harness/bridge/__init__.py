"""Host bridge: the host end of the border router's SLIP line.

It speaks IPv6 over SLIP (RFC 1055) to the border router (or to a CCS attached by serial), gives the
mote network its /64 prefix with a Router Advertisement, and maps loopback UDP ports to the motes'
CoAP servers (`127.0.0.1:<base+id>` -> `[PREFIX::IID(id)]:5683`) so unmodified host clients reach them.
"""

from harness.bridge.bridge import Bridge, BridgeError
from harness.bridge.ipv6 import default_host_address, eui64_from_node_id, mote_address

__all__ = ["Bridge", "BridgeError", "default_host_address", "eui64_from_node_id", "mote_address"]
