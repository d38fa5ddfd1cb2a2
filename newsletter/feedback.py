"""What the provider tells us after sending: hard bounces and spam complaints.

anymail turns each provider's webhook into an ``AnymailTrackingEvent`` and
sends its ``tracking`` signal (the one hook anymail offers);
``record_tracking_event`` is its receiver. A hard bounce marks the subscriber
bounced, a complaint unsubscribes them and records why, and both put the
address on the suppression list (``core.mail``), so no app mails it again.

Events are matched to a mailing by the delivery number the message carried
in its metadata, or else by the subscriber's latest sent delivery. Every
change is a conditional UPDATE, so a replayed event changes nothing and an
event for an unknown address only suppresses that address.

When complaints pass COMPLAINT_PAUSE_RATIO of a post's sent emails, its
remaining deliveries pause (``PostAnnouncement.paused_at``) and the mailing
admin says why.
"""

import logging

from django.db import transaction
from django.utils import timezone

from core import mail
from core.models import SuppressedAddress
from leads.models import Subscriber
from newsletter.models import Delivery, PostAnnouncement

logger = logging.getLogger(__name__)

# Gmail and Yahoo's bulk-sender rule (2024): keep complaints under 0.3%.
COMPLAINT_PAUSE_RATIO = 0.003


def record_tracking_event(sender, event, esp_name, **kwargs):
    """anymail's tracking signal receiver: act on bounces and complaints only."""
    address = mail.normalize(event.recipient or "")
    if not address:
        return
    delivery_id = _delivery_id(event.metadata)
    if event.event_type == "bounced":
        record_bounce(address, delivery_id, detail=_detail(event, esp_name))
    elif event.event_type == "complained":
        record_complaint(address, delivery_id, detail=f"{esp_name}: spam complaint")


def _delivery_id(metadata) -> int | None:
    value = (metadata or {}).get("delivery") if isinstance(metadata, dict) else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _detail(event, esp_name) -> str:
    return f"{esp_name}: {event.mta_response or event.description or 'hard bounce'}"


def _delivery_for(address, delivery_id):
    """The delivery the event is about: the one named, or the latest sent."""
    deliveries = Delivery.objects.filter(subscriber__email__iexact=address)
    if delivery_id is not None:
        return deliveries.filter(pk=delivery_id).first()
    return deliveries.filter(sent_at__isnull=False).order_by("-sent_at", "-pk").first()


def record_bounce(address: str, delivery_id=None, detail="") -> None:
    now = timezone.now()
    with transaction.atomic():
        mail.suppress([address], SuppressedAddress.Reason.BOUNCED, detail)
        Subscriber.objects.filter(email__iexact=address).exclude(
            status__in=[Subscriber.Status.BOUNCED, Subscriber.Status.UNSUBSCRIBED]
        ).update(status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now)
        delivery = _delivery_for(address, delivery_id)
        if delivery is not None:
            Delivery.objects.filter(pk=delivery.pk, bounced_at__isnull=True).update(
                status=Delivery.Status.BOUNCED, bounced_at=now, updated_at=now
            )
    logger.info("Hard bounce recorded (delivery %s)", getattr(delivery, "pk", None))


def record_complaint(address: str, delivery_id=None, detail="") -> None:
    now = timezone.now()
    with transaction.atomic():
        mail.suppress([address], SuppressedAddress.Reason.COMPLAINED, detail)
        for subscriber in Subscriber.objects.filter(email__iexact=address):
            subscriber.unsubscribe(reason=Subscriber.UnsubscribeReason.COMPLAINT)
        delivery = _delivery_for(address, delivery_id)
        counted = delivery is not None and bool(
            Delivery.objects.filter(pk=delivery.pk, complained_at__isnull=True).update(
                complained_at=now, updated_at=now
            )
        )
        if counted and delivery.post_id:
            pause_if_complaints_too_high(delivery.post_id)
    logger.info("Spam complaint recorded (delivery %s)", getattr(delivery, "pk", None))


def complaint_figures(post_id) -> tuple[int, int]:
    """(complaints, sent) for one post's mailing."""
    deliveries = Delivery.objects.filter(post_id=post_id)
    sent = deliveries.filter(sent_at__isnull=False).count()
    return deliveries.filter(complained_at__isnull=False).count(), sent


def pause_if_complaints_too_high(post_id) -> bool:
    """Pause a mailing whose complaints passed the limit; True if this paused it."""
    complaints, sent = complaint_figures(post_id)
    if not sent or complaints / sent <= COMPLAINT_PAUSE_RATIO:
        return False
    reason = (
        f"Paused: {complaints} spam complaints out of {sent:,} emails sent "
        f"({complaints / sent:.2%}), above the {COMPLAINT_PAUSE_RATIO:.1%} that "
        "Gmail and Yahoo allow. The remaining emails wait until staff resume it."
    )
    paused = PostAnnouncement.objects.filter(
        post_id=post_id, paused_at__isnull=True
    ).update(paused_at=timezone.now(), paused_reason=reason)
    if paused:
        logger.warning("Mailing of post %s paused for complaints", post_id)
    return bool(paused)


def resume(post_ids) -> int:
    """Let paused mailings send their remaining emails again."""
    return PostAnnouncement.objects.filter(
        post_id__in=post_ids, paused_at__isnull=False
    ).update(paused_at=None, paused_reason="")
