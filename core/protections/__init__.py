"""The protections every public form shares: contact, sign-up, comment, like.

Each form post passes the same three checks, in this order:

1. **Rate limit** (``rate_limit`` on the view): a fixed-window count per
   client, shared by every process, answered with the one 429 page. It
   comes first so that floods, bots included, cost one counter update and
   nothing else.
2. **Bot trap** (``BotTrapForm.is_bot()``): a hidden honeypot field and a
   minimum fill time. A bot gets the ordinary "thank you" answer and
   nothing is stored, so it learns nothing; it is checked before validation
   so that a bot never sees which fields were wrong.
3. **Validation** (``form.is_valid()``): one-line fields refuse control
   characters with ``single_line``, free text with ``plain_text`` (line
   breaks allowed), and what is kept without asking (attribution, search
   text, hidden paths) goes through ``clean_control_characters`` or
   ``local_path``.

Settings: ``PUBLIC_FORM_RATE_LIMITS_ENABLED`` switches every limit on or
off, each form's rate is a setting in the ``"5/10m"`` format, and
``PUBLIC_FORM_MIN_FILL_SECONDS`` is the fill time.
"""

from core.protections.bottrap import BotTrapForm, started_token
from core.protections.ratelimit import rate_limit, too_many_requests
from core.protections.text import (
    clean_control_characters,
    local_path,
    plain_text,
    single_line,
)

__all__ = [
    "BotTrapForm",
    "clean_control_characters",
    "local_path",
    "plain_text",
    "rate_limit",
    "single_line",
    "started_token",
    "too_many_requests",
]
