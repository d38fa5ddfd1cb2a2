from leads.models.access import LeadAccess
from leads.models.history import LeadEvent, LeadNote
from leads.models.lead import BlockedDomain, Lead
from leads.models.subscriber import Subscriber

__all__ = [
    "BlockedDomain",
    "Lead",
    "LeadAccess",
    "LeadEvent",
    "LeadNote",
    "Subscriber",
]
