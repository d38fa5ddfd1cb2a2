"""Saving a lead or a sign-up together with the emails it owes."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from leads import tasks
from leads.forms import SUBSCRIBE_CONSENT_TEXT
from leads.models import Lead, Subscriber

# A second sign-up for a pending address within this time sends no new
# email, so the form cannot be used to flood somebody's inbox.
RESEND_AFTER = timedelta(minutes=15)


def save_lead(form, attribution: dict) -> Lead:
    """Save the lead and enqueue its emails in one transaction (an outbox)."""
    with transaction.atomic():
        lead = form.save(commit=False)
        for field, value in attribution.items():
            setattr(lead, field, value)
        lead.save()
        if lead.status != Lead.Status.SPAM:
            tasks.send_lead_confirmation.enqueue(lead.pk)
            tasks.send_lead_notification.enqueue(lead.pk)
    return lead


def sign_up(form) -> None:
    """Start (or restart) double opt-in for the address in a valid SubscribeForm.

    Says nothing about whether the address was known: the visitor sees the
    same page either way, and a confirmed subscriber is left untouched.
    """
    data = form.cleaned_data
    now = timezone.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(email__iexact=data["email"])
            .first()
        )
        if subscriber is None:
            subscriber = Subscriber(email=data["email"])
        elif subscriber.status == Subscriber.Status.CONFIRMED:
            return
        elif (
            subscriber.status == Subscriber.Status.PENDING
            and now - (subscriber.confirmation_sent_at or subscriber.updated_at)
            < RESEND_AFTER
        ):
            # An email is on its way or was sent moments ago.
            return
        subscriber.first_name = data["first_name"]
        subscriber.frequency = data["frequency"]
        subscriber.status = Subscriber.Status.PENDING
        subscriber.consent_text = SUBSCRIBE_CONSENT_TEXT
        subscriber.consented_at = now
        subscriber.source_path = data["source_path"]
        subscriber.confirmation_sent_at = None
        try:
            with transaction.atomic():
                subscriber.save()
        except IntegrityError:
            # The same address signed up in a parallel request just now.
            return
        tasks.send_subscription_confirmation.enqueue(subscriber.pk)
