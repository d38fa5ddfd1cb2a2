"""Clinician referrals at /refer/: validation, the lead they become, the
acknowledgment to the referrer (never naming the patient), the outage spool."""

import json

import pytest
from django.core import mail as outbox
from django.db import OperationalError
from django.urls import reverse

from core.protections import started_token
from leads import services, tasks
from leads.models import Lead
from leads.referral_forms import luhn_is_valid

pytestmark = pytest.mark.django_db

PATIENT = "Morgan Patientname"
REASON = "Treatment-resistant depression after three SSRIs."


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False
    settings.LEADS_NOTIFY_EMAILS = ["frontdesk@clinic.example"]
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }


def referral_data(**overrides):
    return {
        "referrer_name": "Dr. Ana Ruiz",
        "referrer_role": "Psychiatrist, MD",
        "referrer_practice": "Riverside Psychiatry",
        "referrer_phone": "(415) 555-2671",
        "referrer_email": "ana.ruiz@riverside.example",
        "referrer_npi": "1234567893",
        "full_name": PATIENT,
        "phone": "(415) 555-0132",
        "email": "morgan@example.com",
        "preferred_contact_method": "phone",
        "message": REASON,
        "consent": "on",
        "started": started_token(),
        **overrides,
    }


def post_referral(client, **overrides):
    return client.post(reverse("leads:refer"), referral_data(**overrides))


def test_the_npi_check_digit_is_a_luhn_digit_with_the_80840_prefix():
    assert luhn_is_valid("80840" + "1234567893")
    assert not luhn_is_valid("80840" + "1234567894")


def test_a_referral_becomes_a_referral_lead(client):
    response = post_referral(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:refer_thanks")
    lead = Lead.objects.get()
    assert lead.kind == Lead.Kind.REFERRAL
    assert lead.full_name == PATIENT
    assert lead.phone == "+14155550132"
    assert lead.referrer_name == "Dr. Ana Ruiz"
    assert lead.referrer_phone == "+14155552671"
    assert lead.referrer_npi == "1234567893"
    assert lead.message == REASON
    assert "agreed to be contacted" in lead.consent_text
    assert client.get(reverse("leads:refer_thanks")).status_code == 200


def test_a_consultation_request_is_still_of_kind_consultation(client):
    client.post(
        reverse("leads:contact"),
        {
            "full_name": "Jordan Lee",
            "email": "jordan@example.com",
            "preferred_contact_method": "email",
            "consent": "on",
            "started": started_token(),
        },
    )
    assert Lead.objects.get().kind == Lead.Kind.CONSULTATION


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"referrer_npi": "1234567894"}, "referrer_npi", "check digit"),
        ({"referrer_npi": "12345"}, "referrer_npi", "10 digits"),
        ({"consent": ""}, "consent", "agreed to be contacted"),
        ({"phone": "555"}, "phone", "valid phone number"),
        ({"referrer_phone": "12"}, "referrer_phone", "valid phone number"),
        ({"phone": "", "email": ""}, "phone", "phone number or email address"),
        ({"phone": "", "preferred_contact_method": "text"}, "phone", "call or text"),
        (
            {"email": "", "preferred_contact_method": "email"},
            "email",
            "email address to contact by",
        ),
        ({"referrer_email": "not-an-address"}, "referrer_email", "valid email"),
        ({"full_name": "123"}, "full_name", "patient's name"),
    ],
)
def test_bad_input_shows_the_form_again_and_saves_nothing(
    client, overrides, field, message
):
    response = post_referral(client, **overrides)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert message.split()[0] in response.content.decode()
    assert not Lead.objects.exists()
    assert not outbox.outbox


def test_a_bot_gets_the_thanks_page_and_nothing_is_saved(client):
    response = post_referral(client, website="http://spam.example")
    assert response.status_code == 302
    assert not Lead.objects.exists()


def test_the_referrer_is_acknowledged_without_the_patient_and_staff_notified(
    client,
):
    post_referral(client)

    by_recipient = {message.to[0]: message for message in outbox.outbox}
    assert set(by_recipient) == {
        "ana.ruiz@riverside.example",
        "frontdesk@clinic.example",
    }
    ack = by_recipient["ana.ruiz@riverside.example"]
    notification = by_recipient["frontdesk@clinic.example"]
    assert "referral" in ack.subject
    assert notification.subject == "New referral"
    for message in (ack, notification):
        text = message.subject + message.body + message.alternatives[0].content
        for private in ("Morgan", "Patientname", "morgan@example.com", "5550132"):
            assert private not in text
        assert "depression" not in text
    lead = Lead.objects.get()
    assert lead.confirmation_sent_at and lead.notification_sent_at


def test_the_sweep_never_emails_the_patient(client, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    post_referral(client)
    Lead.objects.update(created_at=Lead.objects.get().created_at.replace(year=2000))
    lead = Lead.objects.get()
    tasks.send_lead_confirmation.call(lead.pk)
    assert [message.to for message in outbox.outbox] == [["ana.ruiz@riverside.example"]]


def test_a_referral_during_an_outage_is_spooled_and_stored_later(client, monkeypatch):
    written = []

    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "create_lead", database_down)
    monkeypatch.setattr(
        services.spool, "write", lambda kind, payload: written.append((kind, payload))
    )
    monkeypatch.setattr(services.spool, "drain_in_background", lambda: None)

    assert post_referral(client).status_code == 302
    assert not Lead.objects.exists()
    [(kind, payload)] = written
    assert kind == "lead"

    monkeypatch.undo()
    services.store_spooled_lead(json.loads(json.dumps(payload)))
    lead = Lead.objects.get()
    assert lead.kind == Lead.Kind.REFERRAL
    assert lead.referrer_email == "ana.ruiz@riverside.example"


def test_the_referral_page_stays_within_its_query_budget(
    client, django_assert_max_num_queries
):
    client.get("/")  # the clinic profile row is created on the first request
    with django_assert_max_num_queries(5):
        response = client.get(reverse("leads:refer"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Refer a patient" in html
    assert 'rel="canonical"' in html


def test_the_footer_links_to_the_referral_page_and_it_is_in_the_sitemap(client):
    assert 'href="/refer/"' in client.get(reverse("leads:contact")).content.decode()
    assert "/refer/</loc>" in client.get("/sitemap.xml").content.decode()


def test_the_lead_admin_filters_by_kind_and_shows_the_referrer(client, desk_client):
    post_referral(client)
    lead = Lead.objects.get()

    listing = desk_client.get(reverse("admin:leads_lead_changelist") + "?kind=referral")
    assert listing.status_code == 200
    assert PATIENT in listing.content.decode()
    change = desk_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    html = change.content.decode()
    assert "Referred by" in html
    assert "Riverside Psychiatry" in html
    assert "1234567893" in html
