from leads.models.delivery import Delivery, DigestRun, PostAnnouncement, PostMailing
from leads.models.lead import BlockedDomain, Lead, LeadEvent, LeadNote
from leads.models.ratelimit import RateLimitCounter
from leads.models.subscriber import Subscriber

__all__ = [
    "BlockedDomain",
    "Delivery",
    "DigestRun",
    "Lead",
    "LeadEvent",
    "LeadNote",
    "PostAnnouncement",
    "PostMailing",
    "RateLimitCounter",
    "Subscriber",
]
