"""The fixed vocabularies of a lead, shared by the model, its QuerySet and
its history, so none of them has to import another to read a status."""

from django.db import models


class SourceKind(models.TextChoices):
    """Where a lead came from, as the dashboard and list filter group it."""

    CAMPAIGN = "campaign", "Campaign (UTM)"
    POST = "post", "Blog post"
    PAGE = "page", "Other page"


class Interest(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety"
    PTSD = "ptsd", "PTSD"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    SUBSTANCE_USE = "substance_use", "Substance use"
    OTHER = "other", "Other"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Consultation scheduled"
    BECAME_PATIENT = "patient", "Became patient"
    NOT_A_FIT = "not_a_fit", "Not a fit"
    NO_RESPONSE = "no_response", "No response"
    # Closed without an outcome: put away by hand, or archived while still
    # open before "archived" was derived from the status (migration 0004).
    ARCHIVED = "archived", "Archived"
    SPAM = "spam", "Spam"


# Statuses someone still has to work on; every other status is closed, which
# is what "archived" means: out of the working list, into the archive.
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.SCHEDULED)
# Reaching any of these means the clinic answered the person, which stops
# the "time to first contact" clock.
CONTACTED_STATUSES = (
    LeadStatus.CONTACTED,
    LeadStatus.SCHEDULED,
    LeadStatus.BECAME_PATIENT,
    LeadStatus.NOT_A_FIT,
    LeadStatus.NO_RESPONSE,
)
