import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.e2e.accessibility import assert_no_axe_violations


@pytest.fixture(autouse=True)
def _journey_settings(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False


def test_clinician_refers_a_patient_from_the_footer(page, site, transactional_db):
    page.goto(f"{site}/")
    page.locator("footer").get_by_role("link", name="For clinicians").click()
    expect(page).to_have_url(f"{site}/refer/")
    assert_no_axe_violations(page)

    form = page.locator("main form")
    form.get_by_label("Your name").fill("Dr. Ana Ruiz")
    form.get_by_label("Your role or credentials").fill("Psychiatrist, MD")
    form.get_by_label("Practice or organization").fill("Riverside Psychiatry")
    form.get_by_label("Your phone number").fill("(415) 555-2671")
    form.get_by_label("Your email address").fill("ana.ruiz@riverside.example")
    form.get_by_label("Your NPI (optional)").fill("1234567894")
    form.get_by_label("Patient's name").fill("Morgan Lee")
    form.get_by_label("Patient's phone number").fill("(415) 555-0132")
    form.get_by_label("I confirm that the patient agreed").check()
    form.get_by_role("button", name="Send the referral").click()

    # A wrong check digit: the form again, with the message by the field.
    expect(page.get_by_text("check digit does not match")).to_be_visible()
    expect(form.get_by_label("Your NPI (optional)")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_no_axe_violations(page)
    assert not Lead.objects.exists()

    form.get_by_label("Your NPI (optional)").fill("1234567893")
    form.get_by_role("button", name="Send the referral").click()

    expect(page).to_have_url(re.compile(r"/refer/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you for your referral"
    )
    assert_no_axe_violations(page)
    lead = Lead.objects.get()
    assert lead.kind == Lead.Kind.REFERRAL
    assert lead.referrer_npi == "1234567893"
    assert lead.phone == "+14155550132"


def test_with_two_locations_the_referral_form_asks_which_one(page, site, make_location):
    make_location(name="Springfield")
    eugene = make_location(name="Eugene")
    page.goto(f"{site}/refer/")
    question = page.get_by_label("Which location would suit the patient best?")
    expect(question).to_be_visible()
    assert_no_axe_violations(page)

    form = page.locator("main form")
    form.get_by_label("Your name").fill("Dr. Ana Ruiz")
    form.get_by_label("Your role or credentials").fill("Therapist, LCSW")
    form.get_by_label("Practice or organization").fill("Riverside Counseling")
    form.get_by_label("Your phone number").fill("(415) 555-2671")
    form.get_by_label("Your email address").fill("ana.ruiz@riverside.example")
    form.get_by_label("Patient's name").fill("Morgan Lee")
    form.get_by_label("Patient's email address").fill("morgan@example.com")
    form.get_by_label("Email", exact=True).check()
    question.select_option(label="Eugene")
    form.get_by_label("I confirm that the patient agreed").check()
    form.get_by_role("button", name="Send the referral").click()

    expect(page).to_have_url(re.compile(r"/refer/thanks/$"))
    assert Lead.objects.get().location == eugene
