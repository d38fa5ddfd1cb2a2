"""Everything the site stores about one email address: find, export, erase.

Answers access and erasure requests. Leads are anonymized rather than
deleted so the clinic's statistics stay whole; the newsletter subscription
and blog comments are deleted outright.
"""

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from blog.models import Comment
from leads.models import Lead, LeadNote, Subscriber

# Erasing needs the delete permission, looking needs the view permission, on
# every kind of record the search covers: the tool shows nobody anything
# they could not already see in the admin.
VIEW_PERMISSIONS = (
    "leads.view_lead",
    "leads.view_subscriber",
    "blog.view_comment",
)
ERASE_PERMISSIONS = (
    "leads.delete_lead",
    "leads.delete_subscriber",
    "blog.delete_comment",
)


def can_view(user):
    return user.has_perms(VIEW_PERMISSIONS)


def can_erase(user):
    return user.has_perms(VIEW_PERMISSIONS + ERASE_PERMISSIONS)


def find(email):
    """The records stored for ``email`` (matched case-insensitively)."""
    email = email.strip()
    leads = Lead.objects.for_email(email).select_related("assigned_to", "source_post")
    return {
        "email": email,
        "leads": list(leads.order_by("created_at")),
        "notes": list(
            LeadNote.objects.filter(lead__in=Lead.objects.for_email(email))
            .select_related("author")
            .order_by("created_at")
        ),
        "subscriber": Subscriber.objects.filter(email__iexact=email).first(),
        "comments": list(
            Comment.objects.filter(email__iexact=email)
            .select_related("post")
            .order_by("created_at")
        ),
    }


def _when(value):
    return value.isoformat() if value else None


def export(email):
    """A JSON-ready copy of everything stored for ``email``."""
    found = find(email)
    subscriber = found["subscriber"]
    return {
        "email": found["email"],
        "exported_at": timezone.now().isoformat(),
        "consultation_requests": [
            {
                "received": _when(lead.created_at),
                "full_name": lead.full_name,
                "email": lead.email,
                "phone": lead.phone,
                "preferred_contact_method": lead.get_preferred_contact_method_display(),
                "best_time_to_reach": lead.best_time_to_reach,
                "interests": lead.interest_labels(),
                "heard_about_us": lead.heard_about_us,
                "message": lead.message,
                "status": lead.get_status_display(),
                "consent_text": lead.consent_text,
                "consent_version": lead.consent_version,
                "consented_at": _when(lead.consented_at),
                "sent_from_page": lead.source_path,
                "source_post": lead.source_post.title if lead.source_post else None,
                "referrer": lead.referrer,
                "landing_page": lead.landing_page,
                "utm_source": lead.utm_source,
                "utm_medium": lead.utm_medium,
                "utm_campaign": lead.utm_campaign,
            }
            for lead in found["leads"]
        ],
        "staff_notes": [
            {
                "written": _when(note.created_at),
                "by": note.author.get_username() if note.author else None,
                "text": note.text,
            }
            for note in found["notes"]
        ],
        "newsletter_subscription": subscriber
        and {
            "email": subscriber.email,
            "first_name": subscriber.first_name,
            "status": subscriber.get_status_display(),
            "preference": subscriber.get_frequency_display(),
            "consent_text": subscriber.consent_text,
            "consented_at": _when(subscriber.consented_at),
            "signed_up_from_page": subscriber.source_path,
            "signed_up": _when(subscriber.created_at),
            "confirmed": _when(subscriber.confirmed_at),
            "unsubscribed": _when(subscriber.unsubscribed_at),
        },
        "blog_comments": [
            {
                "written": _when(comment.created_at),
                "post": comment.post.title,
                "name": comment.name,
                "email": comment.email,
                "comment": comment.body,
                "status": comment.get_status_display(),
            }
            for comment in found["comments"]
        ],
    }


def _scrub_admin_log(model, pks, label):
    """Replace the record's name in the admin's change log."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in pks],
    ).update(object_repr=label)


def erase(email):
    """Remove everything stored for ``email``; returns what was done."""
    email = email.strip()
    with transaction.atomic():
        leads = Lead.objects.for_email(email)
        notes = LeadNote.objects.filter(lead__in=leads).count()
        anonymized = leads.anonymize()
        subscribers = Subscriber.objects.filter(email__iexact=email)
        _scrub_admin_log(
            Subscriber, subscribers.values_list("pk", flat=True), "Erased subscriber"
        )
        deleted_subscribers = subscribers.delete()[1].get(Subscriber._meta.label, 0)
        comments = Comment.objects.filter(email__iexact=email)
        _scrub_admin_log(
            Comment, comments.values_list("pk", flat=True), "Erased comment"
        )
        deleted_comments = comments.delete()[1].get(Comment._meta.label, 0)
    return {
        "leads": anonymized,
        "notes": notes,
        "subscribers": deleted_subscribers,
        "comments": deleted_comments,
    }


def purge_expired_leads() -> int:
    """Anonymize closed leads past LEADS_RETENTION_DAYS (a daily job)."""
    return Lead.objects.purgeable().anonymize()
