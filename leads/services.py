"""Recording a lead or a sign-up together with the emails it owes.

The forms only validate; what a valid request means (the consent it gave,
how urgent or doubtful it looks, where the visitor came from, which emails
go out) is decided here, once, for every caller.
"""

import logging
import re
from datetime import datetime, timedelta

from django.db import DatabaseError, InterfaceError, transaction
from django.db.models import Q
from django.urls import Resolver404, resolve
from django.utils import timezone

from blog.models import Post
from care.models import Location
from core import spool
from core.crisis import mentions_crisis
from leads import tasks
from leads.forms import (
    CONSENT_TEXT,
    CONSENT_VERSION,
    LEAD_FIELDS,
    SUBSCRIBE_CONSENT_TEXT,
)
from leads.models import BlockedDomain, Lead, Subscriber
from leads.referral_forms import (
    REFERRAL_CONSENT_TEXT,
    REFERRAL_CONSENT_VERSION,
    REFERRAL_FIELDS,
)

LINK_PATTERN = re.compile(
    r"https?:|www\.|<\s*a\b|\[url|\b[\w-]+\.(?:com|net|org|info|biz|ru|xyz|top|site"
    r"|online|shop|io|co)\b",
    re.IGNORECASE,
)
# A second sign-up for a pending address within this time sends no new
# email, so the form cannot be used to flood somebody's inbox.
RESEND_AFTER = timedelta(minutes=15)

logger = logging.getLogger(__name__)


def looks_like_spam(full_name: str, email: str) -> bool:
    """Softer signals: the lead is kept, but filed as Spam for staff to check."""
    if LINK_PATTERN.search(full_name):
        return True
    parts = email.rpartition("@")[2].lower().split(".")
    candidates = {".".join(parts[i:]) for i in range(len(parts) - 1)}
    return BlockedDomain.objects.filter(domain__in=candidates).exists()


def accept_lead(cleaned_data: dict, attribution: dict) -> bool:
    """Record a valid request, or keep it in the spool while the database is
    unreachable; either way it is accepted. Returns whether it is urgent."""
    try:
        return create_lead(cleaned_data, attribution).is_urgent
    except (DatabaseError, InterfaceError) as error:
        logger.warning("Lead kept in the spool (%s)", type(error).__name__)
        received_at = timezone.now().isoformat()
        spool.write(
            "lead",
            {"data": cleaned_data, "attribution": attribution, "at": received_at},
        )
        spool.drain_in_background()
        return is_urgent_request(cleaned_data)


def store_spooled_lead(payload: dict) -> None:
    """The spool's handler for a request accepted during an outage."""
    at = datetime.fromisoformat(payload["at"])
    create_lead(payload["data"], payload["attribution"], received_at=at)


def is_urgent_request(cleaned_data: dict) -> bool:
    fields = ["message", "best_time_to_reach", "full_name"]
    if (cleaned_data.get("self_check") or {}).get("crisis"):
        return True
    return mentions_crisis(" ".join(cleaned_data.get(field, "") for field in fields))


def create_lead(cleaned_data: dict, attribution: dict, received_at=None) -> Lead:
    """Record a valid ContactForm's request (or a ReferralForm's, when
    ``cleaned_data["kind"]`` says "referral") and enqueue its emails in the
    same transaction (an outbox).

    ``attribution`` holds the visit's landing page, referrer and UTM values
    (``leads.attribution.read_attribution``); ``received_at`` is when a
    spooled request reached the site.
    """
    kind = cleaned_data.get("kind", Lead.Kind.CONSULTATION)
    referral = kind == Lead.Kind.REFERRAL
    fields = REFERRAL_FIELDS if referral else LEAD_FIELDS
    lead = Lead(kind=kind, **{field: cleaned_data[field] for field in fields})
    slug = cleaned_data.get("post", "")
    post = Post.objects.published().filter(slug=slug).first() if slug else None
    lead.source_post = post
    lead.source_path = (
        post.get_absolute_url() if post else cleaned_data.get("source_path", "")
    )
    location = cleaned_data.get("location")
    # A location removed since the form was shown (or while spooled) is
    # simply no preference.
    lead.location = Location.objects.filter(pk=location).first() if location else None
    lead.consent_text = REFERRAL_CONSENT_TEXT if referral else CONSENT_TEXT
    lead.consent_version = REFERRAL_CONSENT_VERSION if referral else CONSENT_VERSION
    lead.consented_at = received_at or timezone.now()
    lead.self_check = cleaned_data.get("self_check")
    lead.is_urgent = is_urgent_request(cleaned_data)
    if looks_like_spam(lead.full_name, lead.reply_address):
        lead.status = Lead.Status.SPAM
    for field, value in attribution.items():
        setattr(lead, field, value)
    with transaction.atomic():
        lead.save()
        if received_at:
            Lead.objects.filter(pk=lead.pk).update(created_at=received_at)
        if lead.status != Lead.Status.SPAM:
            tasks.send_lead_confirmation.enqueue(lead.pk)
            tasks.send_lead_notification.enqueue(lead.pk)
    return lead


def accept_sign_up(cleaned_data: dict) -> None:
    """Start double opt-in, or keep the sign-up in the spool while the
    database is unreachable."""
    try:
        sign_up(cleaned_data)
    except (DatabaseError, InterfaceError) as error:
        logger.warning("Sign-up kept in the spool (%s)", type(error).__name__)
        spool.write("subscription", cleaned_data)
        spool.drain_in_background()


def post_at_path(path: str):
    """The published post whose page is ``path`` (where a sign-up form was)."""
    try:
        match = resolve(path or "/")
    except Resolver404:
        return None
    if match.view_name != "blog:post_detail":
        return None
    return Post.objects.published().filter(slug=match.kwargs.get("slug")).first()


def sign_up(cleaned_data: dict) -> None:
    """Start (or restart) double opt-in for a valid SubscribeForm's address.

    Known or not, every address takes the same steps: look the row up,
    write (a new row, or an update that changes nothing for a confirmed
    subscriber or one emailed moments ago), enqueue one confirmation task.
    The task sends only what a pending row still owes, so the answer, the
    queries and their timing say nothing about who is subscribed.
    """
    email = cleaned_data["email"]
    now = timezone.now()
    fields = {
        "first_name": cleaned_data["first_name"],
        "frequency": cleaned_data["frequency"],
        "status": Subscriber.Status.PENDING,
        "consent_text": SUBSCRIBE_CONSENT_TEXT,
        "consented_at": now,
        "source_path": cleaned_data["source_path"],
        "source_post": post_at_path(cleaned_data["source_path"]),
        "confirmation_sent_at": None,
    }
    recently_emailed = Q(status=Subscriber.Status.PENDING) & (
        Q(confirmation_sent_at__gte=now - RESEND_AFTER)
        | Q(confirmation_sent_at__isnull=True, updated_at__gte=now - RESEND_AFTER)
    )
    matching = Subscriber.objects.filter(email__iexact=email)
    with transaction.atomic():
        existing = matching.select_for_update().values_list("pk", flat=True).first()
        if existing is None:
            # ignore_conflicts: a parallel sign-up of the same address may
            # have inserted it just now; then its row stands.
            Subscriber.objects.bulk_create(
                [Subscriber(email=email, **fields)], ignore_conflicts=True
            )
        else:
            matching.exclude(status=Subscriber.Status.CONFIRMED).exclude(
                recently_emailed
            ).update(updated_at=now, **fields)
        pk = matching.values_list("pk", flat=True).first()
        tasks.send_subscription_confirmation.enqueue(pk)
