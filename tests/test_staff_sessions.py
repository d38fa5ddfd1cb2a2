"""Idle staff sessions end; exports and the personal-data tool re-check the factor."""

import time

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from staff.middleware import LAST_SEEN_KEY

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:leads_lead_changelist"
PRIVACY = "leads_staff:personal_data"
EMAIL = "jordan@example.com"


@pytest.fixture(autouse=True)
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


@pytest.fixture
def lead(make_lead):
    return make_lead(full_name="Jordan Rivers", email=EMAIL)


@pytest.fixture
def staff(client, make_staff_with_totp, sign_in):
    """A signed-in superuser (the privacy tool needs every view permission)
    and their recovery codes."""
    _, secret, codes = make_staff_with_totp(username="manager", is_superuser=True)
    sign_in(client, "manager", secret=secret)
    return client, codes


def age_second_factor(client, minutes):
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        if record["method"] == "mfa":
            record["at"] -= minutes * 60
    session["account_authentication_methods"] = records
    session.save()


def export_action(client, lead):
    return client.post(
        reverse(CHANGELIST), {"action": "export_csv", "_selected_action": [lead.pk]}
    )


def csv_text(response):
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def assert_asks_for_second_factor(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


# Exports and the personal-data tool: the second factor again after 15 minutes


def test_export_needs_no_new_check_within_15_minutes(staff, lead):
    client, _ = staff
    age_second_factor(client, 14)

    response = export_action(client, lead)

    assert "Jordan Rivers" in csv_text(response)


def test_export_action_asks_for_the_second_factor_after_15_minutes(staff, lead):
    client, codes = staff
    age_second_factor(client, 16)

    response = export_action(client, lead)

    assert_asks_for_second_factor(response)
    assert not isinstance(response, StreamingHttpResponse)
    # Once confirmed, the export the staff member asked for goes ahead.
    confirmed = client.post(response["Location"], {"code": codes[0]})
    assert "Jordan Rivers" in csv_text(confirmed)


def test_export_link_asks_for_the_second_factor_after_15_minutes(staff, lead):
    client, codes = staff
    age_second_factor(client, 16)

    response = client.get(reverse("admin:leads_lead_export"))

    assert_asks_for_second_factor(response)
    confirmed = client.post(response["Location"], {"code": codes[0]}, follow=True)
    assert "Jordan Rivers" in csv_text(confirmed)


def test_privacy_tool_asks_for_the_second_factor_after_15_minutes(staff, lead):
    client, codes = staff
    age_second_factor(client, 16)

    response = client.post(reverse(PRIVACY), {"email": EMAIL, "do": "find"})

    assert_asks_for_second_factor(response)
    assert "Jordan Rivers" not in response.text
    confirmed = client.post(response["Location"], {"code": codes[0]})
    assert confirmed.status_code == 200
    assert 'id="found-leads">1<' in confirmed.text


def test_privacy_tool_action_asks_for_the_second_factor_after_15_minutes(staff, lead):
    client, _ = staff
    age_second_factor(client, 16)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "find_personal_data", "_selected_action": [lead.pk]},
    )

    assert_asks_for_second_factor(response)


def test_a_password_does_not_stand_in_for_the_second_factor_check(staff, lead):
    client, _ = staff
    age_second_factor(client, 16)

    client.post(reverse("account_reauthenticate"), {"password": "correct horse 42"})
    response = export_action(client, lead)

    assert_asks_for_second_factor(response)


def test_export_works_without_a_factor_when_factors_are_not_required(
    client, make_staff, lead, settings
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(make_staff("Front desk"))

    response = export_action(client, lead)

    assert "Jordan Rivers" in csv_text(response)


# Idle sessions end after STAFF_SESSION_IDLE_MINUTES


@pytest.fixture
def desk_client(client, make_staff, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(make_staff("Front desk"))
    client.get(reverse("admin:index"))
    return client


def idle_for(client, minutes):
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - minutes * 60
    session.save()


def test_an_idle_staff_session_ends_after_the_idle_limit(desk_client):
    idle_for(desk_client, 121)

    response = desk_client.get(reverse(CHANGELIST), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("account_login"))
    assert "signed out after 120 minutes without activity" in response.text
    assert not response.wsgi_request.user.is_authenticated
    assert desk_client.get(reverse(CHANGELIST)).status_code == 302


def test_a_staff_session_in_use_stays_open(desk_client):
    idle_for(desk_client, 119)

    response = desk_client.get(reverse(CHANGELIST))

    assert response.status_code == 200


def test_the_idle_limit_follows_the_setting(desk_client, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    idle_for(desk_client, 6)

    response = desk_client.get(reverse(CHANGELIST))

    assert response["Location"].startswith(reverse("account_login"))
