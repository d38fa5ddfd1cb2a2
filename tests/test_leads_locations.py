"""The "which location?" question on the consultation and referral forms:
asked only with two or more locations, recorded on the lead, used to route
the staff notification and to filter the lead list."""

import pytest
from django.core import mail as outbox
from django.urls import reverse

from core.protections import started_token
from leads.models import Lead
from tests.test_leads_referrals import referral_data

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def two_locations(make_location):
    return (
        make_location(name="Springfield", notification_emails="north@clinic.example"),
        make_location(name="Eugene"),
    )


def contact_data(**overrides):
    return {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "preferred_contact_method": "email",
        "consent": "on",
        "started": started_token(),
        **overrides,
    }


FORMS = [("leads:contact", contact_data), ("leads:refer", referral_data)]


@pytest.mark.parametrize(("url", "data"), FORMS)
def test_one_location_asks_no_question(client, make_location, url, data):
    make_location()
    html = client.get(reverse(url)).content.decode()
    assert 'name="location"' not in html
    assert client.post(reverse(url), data()).status_code == 302
    assert Lead.objects.get().location is None


@pytest.mark.parametrize(("url", "data"), FORMS)
def test_two_locations_ask_which_one_or_no_preference(client, two_locations, url, data):
    springfield, eugene = two_locations
    html = client.get(reverse(url)).content.decode()
    assert 'name="location"' in html
    assert "No preference" in html and "Eugene" in html

    assert client.post(reverse(url), data(location=str(eugene.pk))).status_code == 302
    assert client.post(reverse(url), data(location="")).status_code == 302
    assert [lead.location for lead in Lead.objects.order_by("pk")] == [eugene, None]


@pytest.mark.parametrize(("url", "data"), FORMS)
def test_a_tampered_location_is_a_form_error(client, two_locations, url, data):
    response = client.post(reverse(url), data(location="99999"))
    assert response.status_code == 200
    assert "Please choose one of our locations." in response.content.decode()
    assert not Lead.objects.exists()


def test_the_notification_goes_to_the_locations_own_addresses(client, two_locations):
    springfield, eugene = two_locations
    client.post(reverse("leads:contact"), contact_data(location=str(springfield.pk)))
    client.post(reverse("leads:refer"), referral_data(location=str(eugene.pk)))

    staff = [m for m in outbox.outbox if m.subject.startswith("New")]
    assert [(m.subject, m.to) for m in staff] == [
        ("New consultation request", ["north@clinic.example"]),
        ("New referral", ["frontdesk@clinic.example"]),
    ]


def test_the_forms_stay_within_the_query_budget_with_two_locations(
    client, two_locations, django_assert_max_num_queries
):
    client.get("/")  # the clinic profile row is created on the first request
    for url in ("leads:contact", "leads:refer"):
        with django_assert_max_num_queries(5):
            assert client.get(reverse(url)).status_code == 200


def test_the_lead_list_filters_by_location(client, two_locations, desk_client):
    springfield, eugene = two_locations
    client.post(
        reverse("leads:contact"),
        contact_data(full_name="Sam North", location=str(springfield.pk)),
    )
    client.post(
        reverse("leads:contact"),
        contact_data(full_name="Kim West", location=str(eugene.pk)),
    )
    url = reverse("admin:leads_lead_changelist")
    html = desk_client.get(f"{url}?location__id__exact={eugene.pk}").content.decode()
    assert "Kim West" in html
    assert "Sam North" not in html
