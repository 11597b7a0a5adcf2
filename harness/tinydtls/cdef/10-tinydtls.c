/* 10: glue for the base binding: session_t <-> (family, raw address, port). */

int esse_session_set(session_t *s, int family, const unsigned char *addr, uint16_t port,
                     uint32_t scope_id) {
  dtls_session_init(s);
  if (family == 4) {
    s->size = sizeof(struct sockaddr_in);
    s->addr.sin.sin_family = AF_INET;
    s->addr.sin.sin_port = htons(port);
    memcpy(&s->addr.sin.sin_addr, addr, 4);
    return 0;
  }
  if (family == 6) {
    s->size = sizeof(struct sockaddr_in6);
    s->addr.sin6.sin6_family = AF_INET6;
    s->addr.sin6.sin6_port = htons(port);
    s->addr.sin6.sin6_scope_id = scope_id;
    memcpy(&s->addr.sin6.sin6_addr, addr, 16);
    return 0;
  }
  return -1;
}

/* Returns 4 or 6 (and fills addr16, port, scope_id), or -1 for an unknown family. */
int esse_session_get(const session_t *s, unsigned char *addr16, uint16_t *port, uint32_t *scope_id) {
  switch (s->addr.sa.sa_family) {
  case AF_INET:
    memcpy(addr16, &s->addr.sin.sin_addr, 4);
    *port = ntohs(s->addr.sin.sin_port);
    *scope_id = 0;
    return 4;
  case AF_INET6:
    memcpy(addr16, &s->addr.sin6.sin6_addr, 16);
    *port = ntohs(s->addr.sin6.sin6_port);
    *scope_id = s->addr.sin6.sin6_scope_id;
    return 6;
  default:
    return -1;
  }
}

size_t esse_session_size(void) {
  return sizeof(session_t);
}
