"""The clinician referral form at /refer/: it validates, nothing more.

A valid referral is recorded by ``leads.services.accept_lead`` like a
consultation request, as a lead of kind "referral".
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.protections import BotTrapForm, plain_text, single_line
from leads.forms import LocationQuestion, phone_e164
from leads.models import Lead

REFERRAL_CONSENT_VERSION = "2026-12"
REFERRAL_CONSENT_TEXT = (
    "I confirm that the patient agreed to be contacted by the clinic about "
    "this referral."
)
# The NPI check digit is a Luhn digit over the number prefixed with 80840
# (the health-industry prefix of ISO 7812), as the CMS NPI standard says.
NPI_PREFIX = "80840"

# What the referral form fills in on the lead, in the order shown.
REFERRER_FIELDS = [
    "referrer_name",
    "referrer_role",
    "referrer_practice",
    "referrer_phone",
    "referrer_email",
    "referrer_npi",
]
PATIENT_FIELDS = ["full_name", "phone", "email", "preferred_contact_method"]
REFERRAL_FIELDS = [*REFERRER_FIELDS, *PATIENT_FIELDS, "message"]


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise ValidationError("An NPI has 10 digits.")
    if not luhn_is_valid(NPI_PREFIX + value):
        raise ValidationError(
            "This NPI's check digit does not match. Please check the number."
        )


def has_a_letter(value: str, message: str) -> str:
    value = value.strip()
    if not any(character.isalpha() for character in value):
        raise ValidationError(message)
    return value


class ReferralForm(LocationQuestion, BotTrapForm):
    """A clinician refers a patient who agreed to be contacted."""

    referrer_name = forms.CharField(
        label="Your name",
        max_length=120,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    referrer_role = forms.CharField(
        label="Your role or credentials",
        max_length=120,
        validators=[single_line],
        help_text="For example: psychiatrist, MD; therapist, LCSW; family physician.",
    )
    referrer_practice = forms.CharField(
        label="Practice or organization",
        max_length=200,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    referrer_phone = forms.CharField(
        label="Your phone number",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    referrer_email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We send our acknowledgment here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    referrer_npi = forms.CharField(
        label="Your NPI (optional)",
        required=False,
        max_length=20,
        help_text="The 10-digit National Provider Identifier.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    full_name = forms.CharField(
        label="Patient's name",
        max_length=120,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="Patient's phone number",
        required=False,
        max_length=32,
        help_text="A phone number, an email address or both.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label="Patient's email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    preferred_contact_method = forms.ChoiceField(
        label="How should we contact the patient?",
        choices=Lead.ContactMethod.choices,
        initial=Lead.ContactMethod.PHONE,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label="Reason for referral (optional)",
        required=False,
        max_length=2000,
        validators=[plain_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "A short note is enough; we take the full history with the patient "
            "in private."
        ),
    )
    location_label = "Which location would suit the patient best?"
    consent = forms.BooleanField(
        label=REFERRAL_CONSENT_TEXT,
        required=True,
        error_messages={
            "required": "Please confirm that the patient agreed to be contacted."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("leads:refer")
        self.helper.layout = Layout(
            Div("website", css_class="visually-hidden-honeypot", aria_hidden="true"),
            "started",
            Fieldset("About you", *REFERRER_FIELDS),
            Fieldset(
                "About the patient",
                *PATIENT_FIELDS,
                "message",
                *self.add_location_question(),
            ),
            "consent",
            Submit("submit", "Send the referral"),
        )

    def clean_referrer_name(self):
        name = self.cleaned_data["referrer_name"]
        return has_a_letter(name, "Please enter your name.")

    def clean_full_name(self):
        return has_a_letter(
            self.cleaned_data["full_name"], "Please enter the patient's name."
        )

    def clean_referrer_phone(self):
        return phone_e164(self.cleaned_data["referrer_phone"])

    def clean_phone(self):
        return phone_e164(self.cleaned_data["phone"])

    def clean_referrer_email(self):
        local, _, domain = self.cleaned_data["referrer_email"].rpartition("@")
        return f"{local}@{domain.lower()}"

    def clean_email(self):
        local, _, domain = self.cleaned_data["email"].rpartition("@")
        return f"{local}@{domain.lower()}" if domain else ""

    def clean_referrer_npi(self):
        npi = "".join(self.cleaned_data["referrer_npi"].split())
        if npi:
            validate_npi(npi)
        return npi

    def clean(self):
        cleaned_data = super().clean()
        phone, email = cleaned_data.get("phone"), cleaned_data.get("email")
        if "phone" in self.errors or "email" in self.errors:
            return cleaned_data
        if not phone and not email:
            self.add_error(
                "phone", "Please give the patient's phone number or email address."
            )
            return cleaned_data
        method = cleaned_data.get("preferred_contact_method")
        if method == Lead.ContactMethod.EMAIL and not email:
            self.add_error("email", "Please give an email address to contact by.")
        elif method != Lead.ContactMethod.EMAIL and not phone:
            self.add_error("phone", "Please give a phone number to call or text.")
        return cleaned_data
