/* 50: ESSE key export glue (SSM area): lets tests check that a wiped peer holds no key material. */

size_t esse_peer_key_bytes_nonzero(const dtls_peer_t *peer) {
  size_t n = 0, i;
  int k;
  for (k = 0; k < 2; k++) {
    const dtls_security_parameters_t *sp = peer->security_params[k];
    if (!sp) continue;
    for (i = 0; i < MAX_KEYBLOCK_LENGTH; i++) n += sp->key_block[i] != 0;
  }
  if (peer->handshake_params) {
    const unsigned char *t = (const unsigned char *)&peer->handshake_params->tmp;
    const unsigned char *x = (const unsigned char *)&peer->handshake_params->keyx;
    for (i = 0; i < sizeof(peer->handshake_params->tmp); i++) n += t[i] != 0;
    for (i = 0; i < sizeof(peer->handshake_params->keyx); i++) n += x[i] != 0;
  }
  return n;
}

size_t esse_peer_count(const dtls_context_t *ctx) {
#ifdef DTLS_PEERS_NOHASH
  size_t n = 0;
  const dtls_peer_t *p;
  for (p = ctx->peers; p; p = p->next) n++;
  return n;
#else
  return HASH_COUNT(ctx->peers);
#endif
}

/* The PSK identity the client used (valid until dtls_wipe_peer_keys); -1 without handshake state. */
int esse_peer_psk_identity(const dtls_peer_t *peer, unsigned char *buf, size_t cap) {
  size_t n;
  if (!peer->handshake_params) return -1;
  n = peer->handshake_params->keyx.psk.id_length;
  if (n > cap || n > sizeof(peer->handshake_params->keyx.psk.identity)) return -1;
  memcpy(buf, peer->handshake_params->keyx.psk.identity, n);
  return (int)n;
}
