import math
import re
import time

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from blog.models import Post
from leads.models import BlockedDomain, Lead, Subscriber
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
CRISIS_PATTERN = re.compile(
    r"\b(?:suicid|kill(?:ing)?\s+my\s?self|end(?:ing)?\s+(?:it\s+all|my\s+(?:own\s+)?life)"
    r"|take\s+my\s+(?:own\s+)?life|overdos|self[\s-]?harm|hurt(?:ing)?\s+my\s?self"
    r"|want(?:\s+to|na)\s+die|better\s+off\s+dead|no\s+reason\s+to\s+live"
    r"|don'?t\s+want\s+to\s+(?:live|be\s+alive))",
    re.IGNORECASE,
)
LINK_PATTERN = re.compile(
    r"https?:|www\.|<\s*a\b|\[url|\b[\w-]+\.(?:com|net|org|info|biz|ru|xyz|top|site"
    r"|online|shop|io|co)\b",
    re.IGNORECASE,
)
# Line breaks and other control characters in one-line fields are how email
# header injection starts; a real name never contains them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
MESSAGE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FILL_TIME_SALT = "leads.form-started"


def mentions_crisis(text: str) -> bool:
    """True when free text uses the language of suicide, self-harm or overdose."""
    return bool(CRISIS_PATTERN.search(text.replace("\u2019", "'")))


def single_line(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError("Please use a single line without special characters.")
    return value


def local_path(value: str) -> str:
    """A path on this site as sent in a hidden field, or "" for anything else."""
    path = CONTROL_CHARACTERS.sub("", value.strip())
    return path if path.startswith("/") and not path.startswith("//") else ""


def started_token() -> str:
    """A signed "form shown at" time, checked against the minimum fill time."""
    return signing.dumps(math.floor(time.time() * 10) / 10, salt=FILL_TIME_SALT)


class SpamTrapForm(forms.Form):
    """A honeypot field and a minimum fill time, for every public form.

    A bot that trips either gets the normal answer and nothing is saved; the
    view asks ``is_bot()`` before ``is_valid()``.
    """

    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(
        required=False, max_length=200, initial=started_token, widget=forms.HiddenInput
    )

    def clean(self):
        cleaned_data = super().clean()
        if self.data.get("website") or not self.filled_slowly():
            raise ValidationError("Please try again.", code="bot")
        return cleaned_data

    def filled_slowly(self) -> bool:
        try:
            started = signing.loads(self.data.get("started", ""), salt=FILL_TIME_SALT)
        except signing.BadSignature:
            return False
        if not isinstance(started, (int, float)):
            return False
        return time.time() - started >= settings.LEADS_MIN_FILL_SECONDS

    def is_bot(self) -> bool:
        return not self.is_valid() and self.has_error(NON_FIELD_ERRORS, "bot")


class ContactForm(SpamTrapForm, forms.ModelForm):
    """The consultation request form."""

    full_name = forms.CharField(
        max_length=120,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
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

    class Meta:
        model = Lead
        fields = [
            "full_name",
            "email",
            "phone",
            "preferred_contact_method",
            "best_time_to_reach",
            "interests",
            "heard_about_us",
            "message",
        ]
        labels = {"email": "Email address", "phone": "Phone number (optional)"}
        help_texts = {"phone": "Needed if you would like a call or a text message."}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

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
            "full_name",
            "email",
            "phone",
            "preferred_contact_method",
            "best_time_to_reach",
            "interests",
            "heard_about_us",
            "message",
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

    def clean_message(self):
        message = self.cleaned_data["message"].strip()
        if MESSAGE_CONTROL_CHARACTERS.search(message):
            raise ValidationError("Your message contains characters we cannot accept.")
        return message

    def clean_post(self):
        slug = self.cleaned_data["post"].strip()
        return Post.objects.published().filter(slug=slug).first() if slug else None

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

    def is_spam(self) -> bool:
        """Softer signals: the lead is kept, but filed as Spam for staff to check."""
        if LINK_PATTERN.search(self.cleaned_data["full_name"]):
            return True
        domain = self.cleaned_data["email"].rpartition("@")[2]
        parts = domain.split(".")
        candidates = {".".join(parts[i:]) for i in range(len(parts) - 1)}
        return BlockedDomain.objects.filter(domain__in=candidates).exists()

    def save(self, commit=True):
        lead = super().save(commit=False)
        post = self.cleaned_data.get("post")
        lead.source_post = post
        lead.source_path = (
            post.get_absolute_url() if post else self.cleaned_data["source_path"]
        )
        lead.consent_text = CONSENT_TEXT
        lead.consent_version = CONSENT_VERSION
        lead.consented_at = timezone.now()
        lead.is_urgent = mentions_crisis(
            " ".join([lead.message, lead.best_time_to_reach, lead.full_name])
        )
        if self.is_spam():
            lead.status = Lead.Status.SPAM
        if commit:
            lead.save()
        return lead


class SubscribeForm(SpamTrapForm, forms.ModelForm):
    """The newsletter sign-up form (the footer, posts and /subscribe/)."""

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

    class Meta:
        model = Subscriber
        fields = ["email", "first_name", "frequency"]
        labels = {"email": "Email address"}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def clean_email(self):
        # Addresses are compared case-insensitively everywhere, so one person
        # can never end up with two subscriber rows.
        return self.cleaned_data["email"].strip().lower()

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_source_path(self):
        return local_path(self.cleaned_data["source_path"])

    def validate_unique(self):
        # Signing up again must look exactly like signing up the first time,
        # so "already subscribed" is never reported; the sign-up service
        # updates the existing row instead.
        pass
