"""A staff member adds a passkey and signs in with it (Chromium's virtual
authenticator stands in for the security key or phone)."""

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.conftest import STAFF_PASSWORD, current_totp_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


@pytest.fixture
def csp_errors(page):
    errors = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and errors.append(message.text)
        ),
    )
    return errors


def sign_in_with_password(page, site):
    page.goto(site + "/admin/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_add_a_passkey_and_sign_in_with_it(
    site, page, settings, make_staff_with_totp, virtual_authenticator, csp_errors
):
    settings.STAFF_MFA_REQUIRED = True
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the live server is http
    user, secret, codes = make_staff_with_totp("Front desk", username="frontdesk")

    sign_in_with_password(page, site)
    page.get_by_placeholder("Code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Today's work")).to_be_visible()

    page.goto(site + "/staff/2fa/webauthn/add/")
    page.get_by_placeholder("Code").fill(codes[0])
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name", exact=True).fill("Office laptop")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Security key added")).to_be_visible()
    assert Authenticator.objects.filter(
        user=user, type=Authenticator.Type.WEBAUTHN
    ).exists()

    page.context.clear_cookies()
    sign_in_with_password(page, site)
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Today's work")).to_be_visible()
    assert csp_errors == []
