"""Staff sign in with a second factor: authenticator app, passkey, recovery code."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

LEAD_NAME = "Jordan Rivers"


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_MFA_REQUIRED = True


@pytest.fixture
def lead(make_lead):
    return make_lead(full_name=LEAD_NAME, email="jordan@example.com")


@pytest.fixture
def desk_without_factor(client, make_staff):
    client.force_login(make_staff("Front desk", username="frontdesk"))
    return client


def admin_pages(lead):
    """Every changelist the admin has, plus the lead pages staff use most."""
    changelists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    return [
        reverse("admin:index"),
        reverse("admin:leads_lead_change", args=[lead.pk]),
        reverse("leads_staff:dashboard"),
        reverse("admin:leads_lead_export"),
        reverse("leads_staff:personal_data"),
        *changelists,
    ]


def test_the_admin_login_form_sends_staff_to_the_staff_sign_in(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_without_a_second_factor_are_sent_to_set_one_up_from_every_admin_page(
    desk_without_factor, lead, mfa_required
):
    for url in admin_pages(lead):
        response = desk_without_factor.get(url)

        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_index"), url
        assert LEAD_NAME not in response.text


def test_staff_without_a_second_factor_see_no_lead_data_after_following_redirects(
    desk_without_factor, lead, mfa_required
):
    changelist = desk_without_factor.get(
        reverse("admin:leads_lead_changelist"), follow=True
    )
    change_page = desk_without_factor.get(
        reverse("admin:leads_lead_change", args=[lead.pk]), follow=True
    )

    for response in (changelist, change_page):
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("mfa_index")
        assert LEAD_NAME not in response.text
        assert "jordan@example.com" not in response.text
        assert "set up a second sign-in step" in response.text


def test_staff_without_a_second_factor_cannot_post_admin_actions(
    desk_without_factor, lead, mfa_required
):
    response = desk_without_factor.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "export_csv", "_selected_action": [lead.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")


def test_staff_without_a_second_factor_are_not_stopped_when_it_is_not_required(
    desk_without_factor, lead, settings
):
    settings.STAFF_MFA_REQUIRED = False

    response = desk_without_factor.get(reverse("admin:leads_lead_changelist"))

    assert response.status_code == 200
    assert LEAD_NAME in response.text


def test_staff_set_up_an_authenticator_app_and_then_reach_the_admin(
    client, make_staff, sign_in, totp_code, lead, mfa_required
):
    make_staff("Front desk", username="frontdesk")
    assert sign_in(client, "frontdesk")["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_index")

    # Setting up a factor asks for the password once more.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(
        response["Location"], {"password": "correct horse 42"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    secret = response.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1
    changelist = client.get(reverse("admin:leads_lead_changelist"))
    assert changelist.status_code == 200
    assert LEAD_NAME in changelist.text


def test_the_setup_page_shows_the_qr_code_and_secret_under_the_strict_csp(
    client, make_staff, sign_in, mfa_required
):
    make_staff("Front desk", username="frontdesk")
    sign_in(client, "frontdesk")
    client.post(
        reverse("account_reauthenticate"),
        {"password": "correct horse 42", "next": reverse("mfa_activate_totp")},
    )

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in response.text
    assert response.context["form"].secret in response.text
    assert_strict_csp(response)


def test_sign_in_asks_for_the_authenticator_code_after_the_password(
    client, make_staff_with_totp, sign_in, totp_code, lead, mfa_required
):
    user, secret, _ = make_staff_with_totp("Front desk", username="frontdesk")

    response = sign_in(client, "frontdesk")

    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("admin:index")
    changelist = client.get(reverse("admin:leads_lead_changelist"))
    assert changelist.status_code == 200
    assert LEAD_NAME in changelist.text


def test_a_code_the_phone_showed_a_moment_ago_still_signs_in(
    client, make_staff_with_totp, sign_in, mfa_required
):
    user, secret, _ = make_staff_with_totp("Front desk", username="frontdesk")
    previous_step = int(time.time()) // 30 - 1
    code = format_hotp_value(hotp_value(secret, previous_step))

    response = sign_in(client, "frontdesk", code=code)

    assert response["Location"] == reverse("admin:index")


def test_a_wrong_authenticator_code_does_not_sign_in(
    client, make_staff_with_totp, sign_in, lead, mfa_required
):
    make_staff_with_totp("Front desk", username="frontdesk")

    response = sign_in(client, "frontdesk", code="000000")

    assert response.status_code == 200
    assert "Incorrect code" in response.text
    changelist = client.get(reverse("admin:leads_lead_changelist"))
    assert changelist.status_code == 302
    assert changelist["Location"].startswith(reverse("admin:login"))


def test_a_recovery_code_signs_in_once(
    client, make_staff_with_totp, sign_in, lead, mfa_required
):
    _, _, codes = make_staff_with_totp("Front desk", username="frontdesk")

    first = sign_in(client, "frontdesk", code=codes[0])
    client.post(reverse("account_logout"))
    again = sign_in(client, "frontdesk", code=codes[0])

    assert first["Location"] == reverse("admin:index")
    assert again.status_code == 200
    assert "Incorrect code" in again.text


def test_recovery_codes_alone_do_not_count_as_a_second_factor(
    desk_without_factor, mfa_required
):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(_user("frontdesk"))

    response = desk_without_factor.get(reverse("admin:index"))

    assert response["Location"] == reverse("mfa_index")


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


# Passkeys (WebAuthn). The browser ceremony itself needs an authenticator;
# these tests check the pages and options the browser script receives.


def assert_strict_csp(response):
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert " style=" not in response.text
    for tag in re.findall(r"<script\b[^>]*>", response.text):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag


def test_adding_a_passkey_renders_its_options_under_the_strict_csp(
    client, make_staff_with_totp, sign_in, mfa_required
):
    _, secret, codes = make_staff_with_totp("Front desk", username="frontdesk")
    sign_in(client, "frontdesk", secret=secret)

    # Adding a factor asks for the second factor again; a recovery code will do.
    response = client.get(reverse("mfa_add_webauthn"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(response["Location"], {"code": codes[0]}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("mfa_add_webauthn")
    assert '"challenge"' in response.text
    assert "/static/mfa/js/webauthn.js" in response.text
    assert_strict_csp(response)


def test_the_second_step_offers_a_passkey_under_the_strict_csp(
    client, make_staff_with_totp, sign_in, mfa_required
):
    make_staff_with_totp("Front desk", username="frontdesk")
    sign_in(client, "frontdesk")

    response = client.get(reverse("mfa_authenticate"))

    assert response.status_code == 200
    assert "Use a security key" in response.text
    assert '"challenge"' in response.text
    assert_strict_csp(response)


def test_the_sign_in_page_keeps_the_strict_csp(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert "Staff sign-in" in response.text
    assert "sign up" not in response.text.lower()
    assert_strict_csp(response)


def test_nobody_can_sign_up(client):
    response = client.post(
        reverse("account_signup"),
        {"username": "intruder", "password1": "x" * 20, "password2": "x" * 20},
    )

    assert "intruder" not in {u.username for u in _all_users()}
    assert response.status_code == 200


def _all_users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.all()


def test_staff_can_reset_a_forgotten_password_by_email(client, make_staff, mailoutbox):
    make_staff("Front desk", username="frontdesk", email="desk@clinic.example")

    response = client.post(
        reverse("account_reset_password"), {"email": "desk@clinic.example"}
    )

    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [["desk@clinic.example"]]


def test_a_password_reset_for_an_unknown_address_sends_nothing(client, mailoutbox):
    response = client.post(
        reverse("account_reset_password"), {"email": "stranger@example.com"}
    )

    assert response.status_code == 302
    assert mailoutbox == []
