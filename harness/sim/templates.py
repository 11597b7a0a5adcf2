"""The jinja2 environment for the `.csc` templates in cooja_configs/templates.

Every `{{ value }}` is XML-escaped (&, <, >) on output; templates only put values in element
text, so quotes need no escaping and scripts stay readable."""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import escape

import jinja2

from harness.paths import COOJA_CONFIGS_DIR, checkout_hint

TEMPLATES_DIR = COOJA_CONFIGS_DIR / "templates"


@cache
def environment() -> jinja2.Environment:
    """The jinja2 environment of the .csc templates."""
    if not TEMPLATES_DIR.is_dir():
        raise FileNotFoundError(f"no .csc templates at {TEMPLATES_DIR}{checkout_hint()}")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        finalize=lambda v: escape(str(v)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
