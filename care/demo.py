"""The example clinic's locations, treatments and FAQ (demo_content.toml).

Each kind is loaded only while the clinic has none of it, so running the
loader twice, or on a site whose staff already wrote their own, adds nothing.
"""

import tomllib
from decimal import Decimal
from pathlib import Path

from care.models import FaqGroup, Location, Question, Treatment

DEMO_CONTENT = Path(__file__).resolve().parent / "demo_content.toml"
DECIMAL_FIELDS = {"latitude", "longitude", "price_from", "price_to"}


def _fields(entry, *, leave_out=()):
    return {
        key: Decimal(value)
        if key in DECIMAL_FIELDS
        else value.strip()
        if isinstance(value, str)
        else value
        for key, value in entry.items()
        if key not in leave_out
    }


def load_demo_care(path=DEMO_CONTENT):
    """Create the demo rows that are missing; return what was done, per kind."""
    content = tomllib.loads(path.read_text())
    done = {}
    if Location.objects.exists():
        done["locations"] = "kept"
    else:
        for entry in content["locations"]:
            Location.objects.create(**_fields(entry))
        done["locations"] = "created"
    if Treatment.objects.exists():
        done["treatments"] = "kept"
    else:
        for entry in content["treatments"]:
            treatment = Treatment.objects.create(
                is_published=True, **_fields(entry, leave_out={"locations"})
            )
            treatment.locations.set(
                Location.objects.filter(slug__in=entry["locations"])
            )
        done["treatments"] = "created"
    if FaqGroup.objects.exists():
        done["faq"] = "kept"
    else:
        for order, entry in enumerate(content["faq"], start=1):
            group = FaqGroup.objects.create(
                name=entry["group"], slug=entry["slug"], order=order
            )
            for number, question in enumerate(entry["questions"], start=1):
                Question.objects.create(group=group, order=number, **_fields(question))
        done["faq"] = "created"
    return done
