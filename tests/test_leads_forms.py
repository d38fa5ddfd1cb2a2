import time

import pytest
from django.core import signing

from core.protections import started_token
from core.protections.bottrap import FILL_TIME_SALT
from leads.forms import ContactForm, SubscribeForm

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.LEADS_PHONE_REGION = "US"


def contact_data(**overrides):
    data = {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "phone": "",
        "preferred_contact_method": "email",
        "best_time_to_reach": "Weekday mornings",
        "interests": ["depression", "anxiety"],
        "heard_about_us": "Our blog",
        "message": "I would like to know more.",
        "consent": "on",
        "website": "",
        "started": started_token(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_contact_form_accepts_a_complete_request():
    form = ContactForm(contact_data())

    assert form.is_valid(), form.errors


def test_contact_form_requires_name_email_and_consent():
    form = ContactForm(contact_data(full_name="", email="", consent=None))

    assert not form.is_valid()
    assert set(form.errors) == {"full_name", "email", "consent"}


def test_contact_form_rejects_a_name_without_letters():
    form = ContactForm(contact_data(full_name="12345"))

    assert "full_name" in form.errors


@pytest.mark.parametrize(
    "name",
    ["Jordan\nBcc: victim@example.com", "Jordan\rLee", "Jordan\x00Lee", "Jo\u2028rdan"],
)
def test_contact_form_rejects_line_breaks_and_control_characters_in_the_name(name):
    form = ContactForm(contact_data(full_name=name))

    assert "full_name" in form.errors


def test_contact_form_rejects_header_injection_in_the_email():
    form = ContactForm(contact_data(email="jordan@example.com\nBcc: x@example.com"))

    assert "email" in form.errors


@pytest.mark.parametrize(
    ("field", "length"),
    [
        ("full_name", 121),
        ("email", 255),
        ("phone", 33),
        ("best_time_to_reach", 101),
        ("message", 2001),
    ],
)
def test_contact_form_enforces_a_maximum_length_on_every_text_field(field, length):
    value = "a" * length
    if field == "email":
        value = "a" * (length - len("@example.com")) + "@example.com"

    form = ContactForm(contact_data(**{field: value}))

    assert field in form.errors


def test_contact_form_accepts_a_message_of_exactly_2000_characters():
    form = ContactForm(contact_data(message="a" * 2000))

    assert form.is_valid(), form.errors


def test_contact_form_normalizes_a_us_phone_number_to_e164():
    form = ContactForm(contact_data(phone="(415) 555-2671"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+14155552671"


def test_contact_form_uses_the_configured_default_phone_region(settings):
    settings.LEADS_PHONE_REGION = "GB"

    form = ContactForm(contact_data(phone="020 7946 0958"))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+442079460958"


@pytest.mark.parametrize("phone", ["12", "not a phone", "555-0100", "+1 000 000 0000"])
def test_contact_form_rejects_an_invalid_phone_number(phone):
    form = ContactForm(contact_data(phone=phone))

    assert "phone" in form.errors


@pytest.mark.parametrize("method", ["phone", "text"])
def test_contact_form_needs_a_phone_number_to_call_or_text(method):
    form = ContactForm(contact_data(preferred_contact_method=method, phone=""))

    assert "phone" in form.errors


def test_contact_form_rejects_an_unknown_contact_method():
    form = ContactForm(contact_data(preferred_contact_method="carrier pigeon"))

    assert "preferred_contact_method" in form.errors


def test_contact_form_allows_several_interests():
    form = ContactForm(contact_data(interests=["ptsd", "chronic_pain", "other"]))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["interests"] == ["ptsd", "chronic_pain", "other"]


def test_contact_form_keeps_each_interest_once():
    form = ContactForm(contact_data(interests=["anxiety"] * 50 + ["ptsd"]))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["interests"] == ["anxiety", "ptsd"]


def test_contact_form_rejects_an_unknown_interest():
    form = ContactForm(contact_data(interests=["depression", "hacking"]))

    assert "interests" in form.errors


def test_contact_form_rejects_an_unknown_referral_source():
    form = ContactForm(contact_data(heard_about_us="<script>"))

    assert "heard_about_us" in form.errors


def test_contact_form_says_not_to_include_medical_details():
    form = ContactForm()

    assert "do not include detailed medical information" in form["message"].help_text


def test_contact_form_consent_label_links_to_the_privacy_policy():
    form = ContactForm()

    assert 'href="/privacy/"' in str(form["consent"].label)


def test_contact_form_catches_a_filled_honeypot():
    form = ContactForm(contact_data(website="http://spam.example"))

    assert form.is_bot()


def test_contact_form_catches_a_form_sent_faster_than_the_minimum_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 3

    form = ContactForm(contact_data(started=started_token()))

    assert form.is_bot()


def test_contact_form_accepts_a_form_filled_slower_than_the_minimum(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 3
    ten_seconds_ago = signing.dumps(time.time() - 10, salt=FILL_TIME_SALT)

    form = ContactForm(contact_data(started=ten_seconds_ago))

    assert not form.is_bot()
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    "started",
    [None, "", "garbage", signing.dumps("x", salt="other")],
    ids=["missing", "empty", "garbage", "other-salt"],
)
def test_contact_form_treats_a_missing_or_forged_fill_time_as_a_bot(started):
    form = ContactForm(contact_data(started=started))

    assert form.is_bot()


def test_subscribe_form_lowercases_the_email_address():
    form = SubscribeForm(
        {
            "email": "Reader@Example.COM",
            "frequency": "weekly",
            "started": started_token(),
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "reader@example.com"


def test_subscribe_form_does_not_reveal_an_existing_subscriber():
    from leads.models import Subscriber

    Subscriber.objects.create(email="reader@example.com")
    form = SubscribeForm(
        {
            "email": "reader@example.com",
            "frequency": "every_post",
            "started": started_token(),
        }
    )

    assert form.is_valid(), form.errors


def test_subscribe_form_rejects_an_unknown_frequency():
    form = SubscribeForm(
        {
            "email": "reader@example.com",
            "frequency": "hourly",
            "started": started_token(),
        }
    )

    assert "frequency" in form.errors


def test_subscribe_form_rejects_a_first_name_with_a_line_break():
    form = SubscribeForm(
        {
            "email": "reader@example.com",
            "first_name": "Robin\nBcc: x@example.com",
            "frequency": "every_post",
            "started": started_token(),
        }
    )

    assert "first_name" in form.errors


def test_subscribe_form_catches_a_filled_honeypot():
    form = SubscribeForm(
        {
            "email": "reader@example.com",
            "frequency": "every_post",
            "website": "x",
            "started": started_token(),
        }
    )

    assert form.is_bot()
