"""Cleaning visitors' text: one definition of a control character."""

import re

from django.core.exceptions import ValidationError

# Line breaks and other control characters in one-line fields are how email
# header injection starts; a real name never contains them. U+2028/U+2029
# are line breaks too, for some mail clients and JavaScript.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Free text may keep tabs and line breaks, nothing else below U+0020.
CONTROL_CHARACTERS_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _pattern(multiline: bool) -> re.Pattern:
    return CONTROL_CHARACTERS_BUT_LINE_BREAKS if multiline else CONTROL_CHARACTERS


def clean_control_characters(
    value: str, *, multiline: bool = False, replacement: str = ""
) -> str:
    """``value`` with control characters replaced (tabs and line breaks kept
    when ``multiline``)."""
    return _pattern(multiline).sub(replacement, value)


def single_line(value: str) -> str:
    """Validator for names and other one-line fields."""
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError("Please use a single line without special characters.")
    return value


def plain_text(value: str) -> str:
    """Validator for messages and comments: line breaks yes, other controls no."""
    if CONTROL_CHARACTERS_BUT_LINE_BREAKS.search(value):
        raise ValidationError("Your text contains characters we cannot accept.")
    return value


def local_path(value: str) -> str:
    """A path on this site as sent in a hidden field, or "" for anything else.

    The query string is dropped: UTM values have fields of their own, and
    anything else in it is nobody's business.
    """
    path = clean_control_characters(value.strip()).partition("?")[0]
    path = path.partition("#")[0]
    return path if path.startswith("/") and not path.startswith("//") else ""
