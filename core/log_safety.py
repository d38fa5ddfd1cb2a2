"""Log lines a request cannot forge.

A path, header or form value with a newline or a terminal escape would
otherwise start a fake log line or rewrite the operator's terminal. Control
characters are written as ``\\x1b``-style escapes instead, in the app log
(LOGGING in settings) and in gunicorn's access and error logs.
"""

import logging
import re

from gunicorn import glogging

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_CHARACTERS_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    pattern = CONTROL_CHARACTERS_BUT_NEWLINE if keep_newlines else CONTROL_CHARACTERS
    return pattern.sub(escape, text)


class EscapingFormatter(logging.Formatter):
    """Escapes control characters in the message; a traceback keeps its line
    breaks, which come from Python, but loses any other control character."""

    def formatMessage(self, record):
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei):
        return escape_controls(super().formatException(ei), keep_newlines=True)

    def formatStack(self, stack_info):
        return escape_controls(super().formatStack(stack_info), keep_newlines=True)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger (``logger_class`` in gunicorn.conf.py) with every
    access-log field escaped and the error log written by EscapingFormatter."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(EscapingFormatter(self.error_fmt, self.datefmt))

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: escape_controls(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
