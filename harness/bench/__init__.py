"""Benchmarks: each prints figures and asserts nothing (`invoke bench-*`, `net-footprint`,
`tinydtls-mote-handshake`). Tests never time anything; they may import the drivers here."""
