"""The tokens in the links emailed to subscribers.

Confirmation links are signed, carry the subscriber's primary key and a
keyed digest of the address (never the address itself), and expire.
Unsubscribe links never expire, because opt-out links must keep working for
as long as the email exists: they carry the random token stored on the row
(``Subscriber.unsubscribe_token``), which says nothing about the subscriber
and does not depend on the secret key.

Emails sent before that carry a signed primary key instead; it is read here
only for subscribers who had such a link (``has_legacy_unsubscribe_link``).
Each kind of signed link has its own salt, so a token made for one purpose
is rejected by the other.
"""

from datetime import timedelta

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

CONFIRM_SALT = "leads.subscriber.confirm"
UNSUBSCRIBE_SALT = "leads.subscriber.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)


def email_digest(email: str) -> str:
    """Ties a confirmation link to the address it was sent to."""
    return salted_hmac(CONFIRM_SALT, email.lower(), algorithm="sha256").hexdigest()[:20]


def make_confirm_token(subscriber) -> str:
    return signing.dumps(
        [subscriber.pk, email_digest(subscriber.email)], salt=CONFIRM_SALT
    )


def confirm_token_matches(token: str, subscriber) -> bool:
    """Whether the token is genuine, unexpired and was sent to this address."""
    found = read_confirm_token(token)
    return bool(
        found
        and found[0] == subscriber.pk
        and constant_time_compare(found[1], email_digest(subscriber.email))
    )


def read_confirm_token(token: str) -> tuple[int, str] | None:
    """The (pk, address digest) a confirmation token was made for, or None if
    forged or expired."""
    try:
        pk, digest = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(pk, int) or not isinstance(digest, str):
        return None
    return pk, digest


def make_unsubscribe_token(subscriber) -> str:
    return subscriber.unsubscribe_token


def read_legacy_unsubscribe_token(token: str) -> int | None:
    """The subscriber pk an old signed unsubscribe link was made for, or None
    if forged."""
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return pk if isinstance(pk, int) else None


PREFERENCES_SALT = "leads.subscriber.preferences"
PREFERENCES_MAX_AGE = timedelta(days=180)


def make_preferences_token(subscriber) -> str:
    """A signed link to the preferences page, tied to the row's own token."""
    return signing.dumps(
        [subscriber.pk, email_digest(subscriber.unsubscribe_token)],
        salt=PREFERENCES_SALT,
        compress=True,
    )


def read_preferences_token(token: str) -> tuple[str, int | None]:
    """("ok", pk), ("expired", None) or ("invalid", None)."""
    try:
        pk, digest = signing.loads(
            token, salt=PREFERENCES_SALT, max_age=PREFERENCES_MAX_AGE
        )
    except signing.SignatureExpired:
        return "expired", None
    except (signing.BadSignature, TypeError, ValueError):
        return "invalid", None
    if not isinstance(pk, int) or not isinstance(digest, str):
        return "invalid", None
    return "ok", pk


def preferences_token_matches(token: str, subscriber) -> bool:
    try:
        _, digest = signing.loads(token, salt=PREFERENCES_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return False
    return constant_time_compare(
        str(digest), email_digest(subscriber.unsubscribe_token)
    )
