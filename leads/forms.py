"""The consultation request and sign-up forms: they validate, nothing more.

What a valid form leads to (consent records, triage, emails) is in
``leads.services``; the protections every public form shares are in
``core.protections``.
"""

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from core.protections import BotTrapForm, local_path, plain_text, single_line
from leads.models import Lead, Subscriber
from leads.models.lead import Interest

CONSENT_VERSION = "2026-01"
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


class EmailAddressForm(BotTrapForm):
    """A public form that asks for an email address."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ContactForm(EmailAddressForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        privacy = format_html('<a href="{}">privacy policy</a>', "/privacy/")
        self.fields["consent"].label = format_html(
            "{}{}.", CONSENT_TEXT.removesuffix("privacy policy."), privacy
        )
        self.helper = FormHelper()
        self.helper.form_action = reverse("leads:contact")
        self.helper.layout = Layout(
            Div("website", css_class="visually-hidden-honeypot", aria_hidden="true"),
            "started",
            "post",
            "source_path",
            *LEAD_FIELDS,
            "consent",
            Submit("submit", "Request my consultation"),
        )

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if not any(character.isalpha() for character in name):
            raise ValidationError("Please enter your name.")
        return name

    def clean_email(self):
        local, _, domain = self.cleaned_data["email"].rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, settings.LEADS_PHONE_REGION)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(
                "Enter a valid phone number, including the area code."
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

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
        return cleaned_data


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
