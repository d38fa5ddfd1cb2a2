"""The access trail: every view of a lead, every export and every
personal-data lookup is recorded (who, when, which leads) and shown on the
lead."""

import pytest
from django.test import Client
from django.urls import reverse

from leads.models import LeadAccess

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:leads_lead_changelist"


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("robin", password="x")


@pytest.fixture
def boss_client(boss):
    # A client of its own, so a test can have the desk and the boss at once.
    client = Client()
    client.force_login(boss)
    return client


def change_url(lead):
    return reverse("admin:leads_lead_change", args=[lead.pk])


def accesses(kind):
    return list(LeadAccess.objects.filter(kind=kind))


def test_opening_a_lead_is_recorded(desk_client, desk, make_lead):
    lead = make_lead()

    desk_client.get(change_url(lead))

    (access,) = accesses(LeadAccess.Kind.VIEW)
    assert access.user == desk
    assert access.created_at is not None
    assert list(access.leads.all()) == [lead]
    assert access.lead_count == 1


def test_a_refused_or_missing_lead_records_nothing(client, make_staff, make_lead):
    client.force_login(make_staff("Editors"))
    lead = make_lead()

    client.get(change_url(lead))
    client.get(reverse("admin:leads_lead_change", args=[lead.pk + 100]))

    assert not LeadAccess.objects.exists()


def test_an_export_records_how_many_and_which_leads(desk_client, desk, make_lead):
    spam = [make_lead(status="spam"), make_lead(status="spam")]
    make_lead()

    response = desk_client.get(
        reverse("admin:leads_lead_export", query={"status": "spam"})
    )

    (access,) = accesses(LeadAccess.Kind.EXPORT)
    assert access.user == desk
    assert access.lead_count == 2
    assert set(access.leads.all()) == set(spam)
    assert "-2-leads.csv" in response["Content-Disposition"]


def test_the_export_action_says_how_many_leads_it_held(desk_client, make_lead):
    leads = [make_lead(), make_lead(), make_lead()]

    response = desk_client.post(
        reverse(CHANGELIST),
        {"action": "export_csv", "_selected_action": [lead.pk for lead in leads]},
    )

    assert "-3-leads.csv" in response["Content-Disposition"]
    page = desk_client.get(reverse(CHANGELIST)).text
    assert "Exported 3 lead(s) to CSV." in page
    assert accesses(LeadAccess.Kind.EXPORT)[0].lead_count == 3


def test_a_personal_data_lookup_records_the_leads_it_found(
    boss_client, boss, make_lead
):
    found = [make_lead(email="riley@example.org"), make_lead(email="RILEY@example.org")]
    make_lead(email="other@example.org")
    url = reverse("leads_staff:personal_data")

    boss_client.post(url, {"email": "riley@example.org", "do": "find"})
    boss_client.post(url, {"email": "riley@example.org", "do": "export"})

    lookups = accesses(LeadAccess.Kind.PRIVACY)
    assert len(lookups) == 2
    for access in lookups:
        assert access.user == boss
        assert set(access.leads.all()) == set(found)
        assert access.lead_count == 2


def test_the_find_personal_data_action_is_a_recorded_lookup(boss_client, make_lead):
    lead = make_lead(email="riley@example.org")

    boss_client.post(
        reverse(CHANGELIST),
        {"action": "find_personal_data", "_selected_action": [lead.pk]},
    )

    (access,) = accesses(LeadAccess.Kind.PRIVACY)
    assert list(access.leads.all()) == [lead]


def test_the_trail_is_shown_on_the_lead(boss_client, desk_client, make_lead):
    lead = make_lead()
    desk_client.get(change_url(lead))
    desk_client.get(reverse("admin:leads_lead_export"))

    html = boss_client.get(change_url(lead)).text

    trail = html.split("Access trail", 1)[1]
    assert "Viewed the lead" in trail
    assert "Exported to CSV (1 lead(s) in all)" in trail
    assert "alex" in trail
