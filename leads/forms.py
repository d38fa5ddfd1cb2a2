"""The consultation request and sign-up forms: they validate, nothing more.

What a valid form leads to (consent records, triage, emails) is in
``leads.services``; the protections every public form shares are in
``core.protections``.
"""

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError
from django.urls import reverse
from django.utils.html import format_html

from care.models import location_choices
from core.protections import BotTrapForm, local_path, plain_text, single_line
from leads.models import Lead, Subscriber
from leads.models.lead import Interest
from selfcheck.results import Result, result_from_token

CONSENT_VERSION = "2026-01"
SELF_CHECK_CONSENT_TEXT = (
    "Store my self-check scores with this request, so the clinician who "
    "calls me can see them."
)
SELF_CHECK_INVALID = (
    "Your self-check result could not be attached: it has expired or was "
    "changed. You can send this request without it, or take the self-check "
    "again."
)
CONSENT_TEXT = (
    "I agree that the clinic may contact me about my request by phone, text "
    "message or email, as described in the privacy policy."
)
SUBSCRIBE_CONSENT_TEXT = (
    "Send me updates about new blog content by email. I can unsubscribe at any "
    "time with the link in every email."
)
HEARD_ABOUT_US_CHOICES = [
    ("", "Choose one (optional)"),
    ("Search engine", "Search engine"),
    ("Our blog", "Our blog"),
    ("Social media", "Social media"),
    ("Doctor or therapist", "Doctor or therapist"),
    ("Friend or family", "Friend or family"),
    ("Other", "Other"),
]


# What the person fills in and the lead records, in the order shown.
LEAD_FIELDS = [
    "full_name",
    "email",
    "phone",
    "preferred_contact_method",
    "best_time_to_reach",
    "interests",
    "heard_about_us",
    "message",
]


def phone_e164(raw: str) -> str:
    """A phone number as typed, checked and stored in E.164 ("" if blank)."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, settings.LEADS_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number, including the area code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class LocationQuestion:
    """The "which location?" question, asked only when the clinic has two or
    more locations. The answer is a location's primary key as a string, or
    "" for no preference; the service looks the location up."""

    location_label = "Which location would suit you best?"

    def add_location_question(self) -> list[str]:
        """Add the field when there is a choice; the names to lay out."""
        try:
            choices = location_choices()
        except (DatabaseError, InterfaceError):  # the form still works in an outage
            choices = []
        if not choices:
            return []
        self.fields["location"] = forms.ChoiceField(
            label=self.location_label,
            choices=choices,
            required=False,
            error_messages={"invalid_choice": "Please choose one of our locations."},
        )
        return ["location"]


class EmailAddressForm(BotTrapForm):
    """A public form that asks for an email address."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ContactForm(LocationQuestion, EmailAddressForm):
    """The consultation request form; ``services.create_lead`` records it."""

    full_name = forms.CharField(
        max_length=120,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        required=False,
        max_length=32,
        help_text="Needed if you would like a call or a text message.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_contact_method = forms.ChoiceField(
        label="How should we contact you?",
        choices=Lead.ContactMethod.choices,
        initial=Lead.ContactMethod.EMAIL,
        widget=forms.RadioSelect,
    )
    best_time_to_reach = forms.CharField(
        label="Best time to reach you",
        required=False,
        max_length=100,
        validators=[single_line],
        help_text="For example: weekday mornings, or after 5 pm.",
    )
    interests = forms.MultipleChoiceField(
        label="What would you like help with?",
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose any that apply.",
    )
    heard_about_us = forms.ChoiceField(
        label="How did you hear about us?",
        choices=HEARD_ABOUT_US_CHOICES,
        required=False,
    )
    message = forms.CharField(
        label="Anything you would like us to know? (optional)",
        required=False,
        max_length=2000,
        validators=[plain_text],
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "Please do not include detailed medical information here. We will "
            "go through your health history with you in private."
        ),
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": "Please agree so that we can contact you."},
    )
    post = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    source_path = forms.CharField(
        required=False, max_length=500, widget=forms.HiddenInput
    )
    # A signed self-check result (selfcheck.results), stored only with
    # self_check_consent; cleaned to the scores, never the answers.
    self_check = forms.CharField(
        required=False, max_length=2000, widget=forms.HiddenInput
    )
    self_check_consent = forms.BooleanField(
        label=SELF_CHECK_CONSENT_TEXT, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.self_check_result = self.attached_result()
        privacy = format_html('<a href="{}">privacy policy</a>', "/privacy/")
        self.fields["consent"].label = format_html(
            "{}{}.", CONSENT_TEXT.removesuffix("privacy policy."), privacy
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("leads:contact")
        # Protected by its Origin header (core.csrf): no token, no cookie.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            HTML("{% load leads %}{% attribution_fields %}"),
            Div("website", css_class="visually-hidden-honeypot", aria_hidden="true"),
            "started",
            "post",
            "source_path",
            "self_check",
            *LEAD_FIELDS,
            *self.add_location_question(),
            *(["self_check_consent"] if self.self_check_result else []),
            "consent",
            Submit("submit", "Request my consultation"),
        )

    def attached_result(self) -> Result | None:
        """The result the hidden token carries, shown above the consent box."""
        token = self["self_check"].value() or ""
        return result_from_token(token) if token else None

    def clean_self_check(self):
        token = self.cleaned_data["self_check"]
        if token and self.self_check_result is None:
            self.add_error(None, SELF_CHECK_INVALID)
            self.data = self.data.copy()
            self.data["self_check"] = ""  # sending again goes without it
        return token

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if not any(character.isalpha() for character in name):
            raise ValidationError("Please enter your name.")
        return name

    def clean_email(self):
        local, _, domain = self.cleaned_data["email"].rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_phone(self):
        return phone_e164(self.cleaned_data["phone"])

    def clean_interests(self):
        return list(dict.fromkeys(self.cleaned_data["interests"]))

    def clean_post(self):
        """The slug of the post that sent the visitor (the service looks it up)."""
        return self.cleaned_data["post"].strip()

    def clean_source_path(self):
        return local_path(self.cleaned_data["source_path"])

    def clean(self):
        cleaned_data = super().clean()
        method = cleaned_data.get("preferred_contact_method")
        phone_needed = method in (Lead.ContactMethod.PHONE, Lead.ContactMethod.TEXT)
        if (
            phone_needed
            and not cleaned_data.get("phone")
            and "phone" not in self.errors
        ):
            self.add_error(
                "phone", "Please give a phone number so we can call or text you."
            )
        result = self.self_check_result
        consented = cleaned_data.get("self_check_consent")
        cleaned_data["self_check"] = self_check_record(result) if consented else None
        return cleaned_data


def self_check_record(result: Result | None) -> dict | None:
    """What a lead stores of a self-check: instrument, total, band, crisis."""
    if result is None:
        return None
    scores = [
        {
            "instrument": item.instrument.name,
            "total": item.total,
            "band": item.band.label,
        }
        for item in result.scores
    ]
    return {"scores": scores, "crisis": result.crisis}


class SubscribeForm(EmailAddressForm):
    """The newsletter sign-up form (the footer, posts and /subscribe/);
    ``services.sign_up`` acts on it."""

    first_name = forms.CharField(
        label="First name (optional)",
        required=False,
        max_length=60,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    frequency = forms.ChoiceField(
        label="How often?",
        choices=Subscriber.Frequency.choices,
        initial=Subscriber.Frequency.EVERY_POST,
        widget=forms.RadioSelect,
    )
    source_path = forms.CharField(
        required=False, max_length=500, widget=forms.HiddenInput
    )

    def clean_email(self):
        # Addresses are compared case-insensitively everywhere, so one person
        # can never end up with two subscriber rows.
        return self.cleaned_data["email"].strip().lower()

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_source_path(self):
        return local_path(self.cleaned_data["source_path"])
