"""Reading settings from the environment, failing start-up with a message
that names the variable whenever a value is missing or malformed."""

import re
import warnings

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()
BOOLEAN_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", ""}


def read_env(name, kind="str", **kwargs):
    """Read one variable, failing start-up with a message that names it."""
    if kind == "bool" and env.str(name, "").strip().lower() not in BOOLEAN_WORDS:
        raise ImproperlyConfigured(
            f"{name} must be true or false, not {env.str(name)!r}"
        )
    try:
        return getattr(env, kind)(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as error:
        raise ImproperlyConfigured(f"{name} is invalid: {error}") from error


def read_positive_int(name, default, minimum=1):
    value = read_env(name, "int", default=default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def read_renamed(name, old_names, kind="str", default=None):
    """``name``, or else the first of its deprecated old names that is set."""
    for old_name in old_names:
        if name not in env and old_name in env:
            warnings.warn(
                f"{old_name} is deprecated; use {name}", FutureWarning, stacklevel=2
            )
            return read_env(old_name, kind)
    return read_env(name, kind, default=default)


def read_rate(name, default, old_per_hour_name=None):
    """A rate such as "5/10m": at most 5 requests per 10 minutes per IP."""
    if old_per_hour_name and name not in env and old_per_hour_name in env:
        count = read_renamed(name, [old_per_hour_name], "int")
        if count < 1:
            raise ImproperlyConfigured(f"{old_per_hour_name} must be at least 1")
        return f"{count}/h"
    value = read_env(name, default=default).strip()
    if not re.fullmatch(r"[1-9]\d*/(?:[1-9]\d*)?[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must look like 5/10m (a count, then seconds, minutes, hours "
            f"or days: s, m, h, d), not {value!r}"
        )
    return value
