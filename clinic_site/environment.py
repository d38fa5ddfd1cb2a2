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


# Each provider's anymail backend and the credentials it needs, under
# anymail's own setting names (read from variables of the same name).
EMAIL_PROVIDERS = {
    "amazon_ses": ("anymail.backends.amazon_ses.EmailBackend", []),
    "postmark": ("anymail.backends.postmark.EmailBackend", ["POSTMARK_SERVER_TOKEN"]),
    "mailgun": ("anymail.backends.mailgun.EmailBackend", ["MAILGUN_API_KEY"]),
    "sendgrid": ("anymail.backends.sendgrid.EmailBackend", ["SENDGRID_API_KEY"]),
    "brevo": ("anymail.backends.brevo.EmailBackend", ["BREVO_API_KEY"]),
}
# Read when set, never required: regions, streams, webhook signing keys.
OPTIONAL_ANYMAIL_SETTINGS = [
    "AMAZON_SES_CONFIGURATION_SET_NAME",
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS",
    "POSTMARK_MESSAGE_STREAM",
    "MAILGUN_SENDER_DOMAIN",
    "MAILGUN_API_URL",
    "MAILGUN_WEBHOOK_SIGNING_KEY",
    "BREVO_API_URL",
]


def read_email_provider():
    """(EMAIL_PROVIDER, its mailer's BACKEND or None for SMTP, ANYMAIL dict)."""
    provider = read_env("EMAIL_PROVIDER", default="smtp").strip().lower() or "smtp"
    if provider != "smtp" and provider not in EMAIL_PROVIDERS:
        choices = ", ".join(["smtp", *EMAIL_PROVIDERS])
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER must be one of {choices}, not {provider!r}"
        )
    anymail = {}
    for name in OPTIONAL_ANYMAIL_SETTINGS:
        if f"ANYMAIL_{name}" in env:
            anymail[name] = read_env(f"ANYMAIL_{name}")
    if "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS" in anymail:
        anymail["AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS"] = read_env(
            "ANYMAIL_AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS", "bool"
        )
    secret = read_env("ANYMAIL_WEBHOOK_SECRET", default="").strip()
    if secret:
        if ":" not in secret.strip(":"):
            raise ImproperlyConfigured(
                "ANYMAIL_WEBHOOK_SECRET must look like user:password"
            )
        anymail["WEBHOOK_SECRET"] = secret
    if provider == "smtp":
        return provider, None, anymail
    backend, required = EMAIL_PROVIDERS[provider]
    for name in required:
        value = read_env(f"ANYMAIL_{name}", default="")
        if not value:
            raise ImproperlyConfigured(
                f"EMAIL_PROVIDER={provider} needs ANYMAIL_{name}"
            )
        anymail[name] = value
    return provider, backend, anymail
