"""The honeypot and the minimum fill time, for every public form."""

import math
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError

FILL_TIME_SALT = "leads.form-started"
HONEYPOT_FIELD = "website"


def started_token() -> str:
    """A signed "form shown at" time, checked against the minimum fill time."""
    return signing.dumps(math.floor(time.time() * 10) / 10, salt=FILL_TIME_SALT)


class BotTrapForm(forms.Form):
    """A honeypot field and a minimum fill time.

    Put it first among a form's bases. The view asks ``is_bot()`` before
    ``is_valid()`` (see ``core.protections``); a bot gets the normal answer
    and nothing is saved. ``clean()`` refuses a bot as well, so a view that
    forgot to ask still stores nothing.
    """

    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(
        required=False, max_length=200, initial=started_token, widget=forms.HiddenInput
    )

    def clean(self):
        cleaned_data = super().clean()
        if self.is_bot():
            raise ValidationError("Please try again.", code="bot")
        return cleaned_data

    def is_bot(self) -> bool:
        """Read from the raw post, so it needs no validation first."""
        return bool(self.data.get(HONEYPOT_FIELD)) or not self.filled_slowly()

    def filled_slowly(self) -> bool:
        token = self.data.get("started")
        if not isinstance(token, str):
            return False
        try:
            started = signing.loads(token, salt=FILL_TIME_SALT)
        except signing.BadSignature:
            return False
        if not isinstance(started, int | float):
            return False
        return time.time() - started >= settings.PUBLIC_FORM_MIN_FILL_SECONDS
