"""The editorial checklist a post is held to when it goes public.

A post with no medical reviewer, no references, or a review older than
twelve months is published only once the editor confirms ("publish
anyway"). With ``BLOG_REQUIRE_REVIEW`` on, a reviewer and references are
required outright; an old review still only asks for confirmation.
"""

import datetime

from django.conf import settings
from django.utils import timezone

REVIEW_MAX_AGE = datetime.timedelta(days=365)
NO_REVIEWER = "no medical reviewer"
NO_REFERENCES = "no references"
OLD_REVIEW = "last reviewed more than 12 months ago"
NEVER_REVIEWED = "no last-reviewed date"
REQUIRED_ITEMS = {NO_REVIEWER, NO_REFERENCES}


def missing_items(*, has_reviewer, reference_count, last_reviewed, today=None):
    """What a post about to go public lacks, in plain words."""
    today = today or timezone.localdate()
    missing = []
    if not has_reviewer:
        missing.append(NO_REVIEWER)
    if not reference_count:
        missing.append(NO_REFERENCES)
    if last_reviewed is None:
        missing.append(NEVER_REVIEWED)
    elif today - last_reviewed > REVIEW_MAX_AGE:
        missing.append(OLD_REVIEW)
    return missing


def review_required():
    return settings.BLOG_REQUIRE_REVIEW


def blocking_items(missing):
    """The items no confirmation can wave through under BLOG_REQUIRE_REVIEW."""
    if not review_required():
        return []
    return [item for item in missing if item in REQUIRED_ITEMS]
