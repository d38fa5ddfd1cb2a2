"""A self-check result attached to a consultation request, only with consent."""

import time

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from core.protections import started_token
from leads.admin.leads import LeadAdmin
from leads.forms import SELF_CHECK_INVALID
from leads.models import Lead
from selfcheck.instruments import GAD7, PHQ9, score
from selfcheck.results import TOKEN_MAX_AGE, TOKEN_SALT, Result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False


def token(crisis=False):
    scores = (score(PHQ9, [1] * 9), score(GAD7, [2] * 7))
    return Result(scores, crisis=crisis).token()


def contact_data(**overrides):
    return {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "phone": "",
        "preferred_contact_method": "email",
        "consent": "on",
        "website": "",
        "started": started_token(),
        **overrides,
    }


def test_the_result_page_posts_the_signed_result_to_the_attach_step(client):
    data = {"check": "phq9", **{f"phq9_{n}": "1" for n in range(1, 10)}}

    html = client.post(reverse("selfcheck:result"), data).content.decode()

    assert f'action="{reverse("leads:contact_attach")}"' in html
    assert 'name="self_check"' in html
    assert "Attach my result to a consultation request" in html


def test_attaching_shows_what_would_be_stored_and_asks_for_consent():
    strict = Client(enforce_csrf_checks=True)  # the result page has no CSRF token

    response = strict.post(reverse("leads:contact_attach"), {"self_check": token()})

    html = response.content.decode()
    assert response.status_code == 200
    assert "PHQ-9: 9 out of 27 (mild)" in html
    assert "GAD-7: 14 out of 21 (moderate)" in html
    assert 'name="self_check_consent"' in html
    assert 'name="self_check" value="' in html
    assert not Lead.objects.exists()
    assert (
        "no-cache" in response["Cache-Control"]
        or "no-store" in response["Cache-Control"]
    )


def test_the_attach_step_is_post_only(client):
    assert client.get(reverse("leads:contact_attach")).status_code == 405


@pytest.mark.parametrize("bad", ["forged", "altered", ""])
def test_a_bad_token_on_attach_is_a_clear_error_not_a_500(client, bad):
    bad = token() + "x" if bad == "altered" else bad
    response = client.post(reverse("leads:contact_attach"), {"self_check": bad})

    assert response.status_code == 200
    assert SELF_CHECK_INVALID.split(":")[0] in response.content.decode()
    assert 'name="self_check_consent"' not in response.content.decode()


def test_with_consent_the_lead_stores_the_scores_not_the_answers(client):
    data = contact_data(self_check=token(), self_check_consent="on")

    response = client.post(reverse("leads:contact"), data)

    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.self_check == {
        "scores": [
            {"instrument": "PHQ-9", "total": 9, "band": "mild"},
            {"instrument": "GAD-7", "total": 14, "band": "moderate"},
        ],
        "crisis": False,
    }
    assert lead.self_check_summary == "PHQ-9 9 (mild); GAD-7 14 (moderate)"
    assert not lead.is_urgent


def test_without_consent_nothing_is_stored(client):
    client.post(reverse("leads:contact"), contact_data(self_check=token()))

    assert Lead.objects.get().self_check is None


def test_a_crisis_flag_makes_the_lead_urgent(client):
    data = contact_data(self_check=token(crisis=True), self_check_consent="on")

    client.post(reverse("leads:contact"), data)

    lead = Lead.objects.get()
    assert lead.is_urgent
    assert lead.self_check["crisis"] is True


def test_an_expired_token_on_submit_is_a_form_error_and_sending_again_works(
    client, monkeypatch
):
    old = token()
    later = time.time() + TOKEN_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    data = contact_data(self_check=old, self_check_consent="on")

    response = client.post(reverse("leads:contact"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "could not be attached" in html
    assert not Lead.objects.exists()
    assert old not in html  # the form sent again goes without it
    monkeypatch.undo()
    again = client.post(reverse("leads:contact"), contact_data(self_check=""))
    assert again.status_code == 302
    assert Lead.objects.get().self_check is None


def test_a_tampered_token_on_submit_is_a_form_error(client):
    forged = signing.dumps({"totals": {"phq9": 27}, "crisis": False}, salt="other")
    data = contact_data(self_check=forged, self_check_consent="on")

    response = client.post(reverse("leads:contact"), data)

    assert response.status_code == 200
    assert "could not be attached" in response.content.decode()
    assert not Lead.objects.exists()


def test_a_signed_but_impossible_score_is_refused(client):
    forged = signing.dumps({"totals": {"phq9": 99}, "crisis": 1}, salt=TOKEN_SALT)
    response = client.post(reverse("leads:contact_attach"), {"self_check": forged})

    assert "could not be attached" in response.content.decode()


def test_staff_see_the_scores_read_only_on_the_lead_page(admin_client, client):
    client.post(
        reverse("leads:contact"),
        contact_data(self_check=token(), self_check_consent="on"),
    )
    lead = Lead.objects.get()

    html = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).text

    assert "PHQ-9 9 (mild); GAD-7 14 (moderate)" in html
    assert "self_check_summary" not in LeadAdmin.list_display
