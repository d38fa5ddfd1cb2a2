"""Signed tokens in the links emailed to subscribers.

Each kind of link has its own salt, so a token made for one purpose is
rejected by the other. Confirmation links expire; unsubscribe links never
do, because opt-out links must keep working for as long as the email exists.
"""

from datetime import timedelta

from django.core import signing

CONFIRM_SALT = "leads.subscriber.confirm"
UNSUBSCRIBE_SALT = "leads.subscriber.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)


def make_confirm_token(subscriber) -> str:
    return signing.dumps([subscriber.pk, subscriber.email], salt=CONFIRM_SALT)


def read_confirm_token(token: str) -> tuple[int, str] | None:
    """The (pk, email) a confirmation token was made for, or None if forged or
    expired."""
    try:
        pk, email = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(pk, int) or not isinstance(email, str):
        return None
    return pk, email


def make_unsubscribe_token(subscriber) -> str:
    return signing.dumps(subscriber.pk, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> int | None:
    """The subscriber pk an unsubscribe token was made for, or None if forged."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return pk if isinstance(pk, int) else None
