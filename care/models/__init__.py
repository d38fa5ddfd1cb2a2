from care.models.faq import (
    FaqGroup,
    Question,
    faq_structured_data,
    forget_posts_with_questions,
    posts_with_questions,
)
from care.models.locations import (
    Location,
    location_choices,
    site_locations,
    validate_email_list,
)
from care.models.treatments import Treatment

__all__ = [
    "FaqGroup",
    "Location",
    "Question",
    "Treatment",
    "faq_structured_data",
    "forget_posts_with_questions",
    "location_choices",
    "posts_with_questions",
    "site_locations",
    "validate_email_list",
]
