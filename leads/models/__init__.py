from leads.models.lead import BlockedDomain, Lead, LeadEvent, LeadNote
from leads.models.subscriber import Subscriber

__all__ = ["BlockedDomain", "Lead", "LeadEvent", "LeadNote", "Subscriber"]
