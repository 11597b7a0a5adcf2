"""Secure bootstrapping (paper section 4, docs/bootstrap.md): controller, authentication server, messages."""
