"""A self-check result, worked out from the answers and carried nowhere but
into a consultation request the person chooses to send.

The result travels as a signed token in a form field (never in a URL, never in
a cookie) holding the totals and whether crisis help was shown, not the
answers themselves.
"""

from dataclasses import dataclass

from django.core import signing

from selfcheck.instruments import INSTRUMENTS, Score, needs_crisis_help, score

TOKEN_SALT = "selfcheck.result"
TOKEN_MAX_AGE = 3600


@dataclass(frozen=True)
class Result:
    """The scores of one sitting and whether crisis help comes first."""

    scores: tuple[Score, ...]
    crisis: bool

    def token(self) -> str:
        totals = {item.instrument.code: item.total for item in self.scores}
        return signing.dumps({"totals": totals, "crisis": self.crisis}, salt=TOKEN_SALT)

    def summary(self) -> str:
        """One line for staff: "PHQ-9 12 (moderate); GAD-7 6 (mild)"."""
        return "; ".join(
            f"{item.instrument.name} {item.total} ({item.band.label})"
            for item in self.scores
        )


def result_from_form(form) -> Result:
    scores = []
    crisis = False
    for instrument in form.instruments:
        answers = form.answers(instrument)
        scores.append(score(instrument, answers))
        crisis = crisis or needs_crisis_help(instrument.code, answers)
    return Result(tuple(scores), crisis)


def result_from_token(token: str) -> Result | None:
    """The result a token carries, or None if forged, expired or malformed."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        totals = data["totals"]
        scores = tuple(
            Score(INSTRUMENTS[code], total)
            for code, total in totals.items()
            if INSTRUMENTS[code].band(total)
        )
        crisis = data["crisis"]
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not scores or not isinstance(crisis, bool):
        return None
    return Result(scores, crisis)
