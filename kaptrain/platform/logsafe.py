"""Log lines that a request cannot forge (CWE-117).

Values from a request (an email typed at sign-in, a User-Agent, a path) reach
the application log. A newline in one of them would start what looks like a
new, genuine log line. :class:`EscapeControlCharacters` rewrites every record
of kaptrain's loggers so that control characters (C0, DEL, C1, and the Unicode
line and paragraph separators) appear as backslash escapes; a backslash itself
is doubled, so the escaping cannot be faked either. Tracebacks (``exc_info``)
are formatted by the handler after this and keep their own line breaks.
"""

from __future__ import annotations

import logging
import re

# C0 controls (tab and newline included), DEL, C1 controls, U+2028, U+2029.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}

#: The loggers that may carry values from requests.
LOGGERS = (
    "kaptrain",
    "kaptrain.people.audit",
    "kaptrain.platform.headers",
    "kaptrain.content",
    "kaptrain.platform.mail",
)


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object) -> str:
    """``value`` as one line of printable text (reversible)."""
    return _UNSAFE.sub(_replace, str(value))


class EscapeControlCharacters(logging.Filter):
    """Render the message now, with every control character escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = escape(message)
        if safe != message or record.args:
            record.msg = safe
            record.args = None
        return True


_FILTER = EscapeControlCharacters()


def install() -> None:
    """Attach the filter to kaptrain's loggers (a filter on a logger applies only
    to records made on that logger, not its children, hence the list)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
