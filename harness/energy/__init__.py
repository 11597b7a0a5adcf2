"""Energy accounting: the Tmote Sky current model (`model`) and energy per DTLS flight (`flights`)."""
