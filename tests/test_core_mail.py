"""The mail pipeline's rules: what a failure means, how long to wait, how an
email is built and that suppressed addresses are left out."""

import smtplib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import mail
from core.mail import Failure, Outcome
from core.mail.sending import dot_stuffed
from core.models import ClinicProfile, SuppressedAddress

ROOT = Path(__file__).resolve().parent.parent


def refused(**codes):
    return smtplib.SMTPRecipientsRefused(
        {f"{name}@example.com": (code, b"answer") for name, code in codes.items()}
    )


# --- Classification: one rule for every email ---------------------------------


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (refused(ana=550), Failure.PERMANENT),
        (refused(ana=550, ben=553), Failure.PERMANENT),
        (refused(ana=451), Failure.TEMPORARY),
        (refused(ana=550, ben=451), Failure.TEMPORARY),
        (smtplib.SMTPDataError(554, b"Message rejected"), Failure.PERMANENT),
        (smtplib.SMTPDataError(452, b"Mailbox full, try later"), Failure.TEMPORARY),
        (smtplib.SMTPResponseException(421, b"Busy"), Failure.TEMPORARY),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), None),
        (smtplib.SMTPSenderRefused(550, b"Not our sender", "hello@x"), None),
        (smtplib.SMTPAuthenticationError(535, b"Bad login"), None),
        (ConnectionRefusedError(111, "Connection refused"), None),
        (TimeoutError("timed out"), None),
        (ValueError("Invalid address 'ana@'"), Failure.PERMANENT),
        (UnicodeEncodeError("ascii", "é", 0, 1, "no"), Failure.PERMANENT),
    ],
    ids=[
        "refused-5xx",
        "all-refused-5xx",
        "refused-4xx",
        "refused-mixed",
        "data-5xx",
        "data-4xx",
        "response-4xx",
        "disconnected",
        "sender-refused",
        "login-failed",
        "connection-refused",
        "timeout",
        "invalid-address",
        "unencodable-address",
    ],
)
def test_each_send_failure_has_one_meaning(error, failure):
    assert mail.classify(error) == (failure or Failure.CONNECTION_LOST)


def test_only_addresses_refused_with_5xx_count_as_bounced():
    error = refused(ana=550, ben=451)

    assert mail.failures.bounced_addresses(error) == ["ana@example.com"]
    assert mail.failures.bounced_addresses(smtplib.SMTPDataError(554, b"")) == []


@pytest.mark.parametrize(
    "answer",
    [b"5.7.1 <ana@example.com>: Relay access denied", b"5.7.1 Sender address rejected"],
)
def test_a_recipient_refused_on_policy_grounds_is_not_a_bounce(answer):
    error = smtplib.SMTPRecipientsRefused({"ana@example.com": (554, answer)})

    assert mail.failures.bounced_addresses(error) == []
    assert mail.classify(error) is Failure.PERMANENT


def test_a_recipient_refused_as_an_unknown_mailbox_is_a_bounce():
    error = smtplib.SMTPRecipientsRefused(
        {"ana@example.com": (550, b"5.1.1 <ana@example.com>: User unknown")}
    )

    assert mail.failures.bounced_addresses(error) == ["ana@example.com"]


def test_a_failure_is_logged_by_its_code_never_its_address():
    assert mail.log_reason(refused(ana=550)) == "refused 550"
    assert mail.log_reason(smtplib.SMTPDataError(554, b"ana@example.com")) == "554"
    assert mail.log_reason(TimeoutError("timed out")) == "TimeoutError"


# --- Backoff: one rule, from settings -------------------------------------------


def test_retry_delays_double_from_the_setting(settings):
    settings.MAIL_RETRY_SECONDS = 60

    delays = [mail.retry_delay(attempt) for attempt in range(1, 5)]

    assert delays == [timedelta(minutes=minutes) for minutes in (1, 2, 4, 8)]


def test_retry_delays_stop_growing_at_an_hour(settings):
    settings.MAIL_RETRY_SECONDS = 60

    assert mail.retry_delay(12) == timedelta(hours=1)


def test_a_zero_retry_setting_retries_at_once(settings):
    settings.MAIL_RETRY_SECONDS = 0

    assert mail.retry_delay(3) == timedelta(0)


def test_tries_stop_at_the_attempt_limit(settings):
    settings.MAIL_MAX_ATTEMPTS = 3

    assert [mail.may_retry(attempt) for attempt in (1, 2, 3)] == [True, True, False]


def run_shell(code, **env):
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()


def test_the_former_newsletter_retry_settings_still_apply():
    code = "from django.conf import settings as s; "
    code += "print(s.MAIL_MAX_ATTEMPTS, s.MAIL_RETRY_SECONDS)"

    assert run_shell(code) == ["8", "60"]
    assert run_shell(
        code, NEWSLETTER_MAX_ATTEMPTS="5", NEWSLETTER_RETRY_SECONDS="300"
    ) == ["5", "300"]
    assert run_shell(
        code, NEWSLETTER_MAX_ATTEMPTS="5", MAIL_MAX_ATTEMPTS="4", MAIL_RETRY_SECONDS="9"
    ) == ["4", "9"]


# --- Building ------------------------------------------------------------------


def confirmation_email(**overrides):
    """A sign-up confirmation built by the pipeline (any app's template would do)."""
    fields = {"subject": "Please confirm", "to": ["ana@example.com"], **overrides}
    return mail.build_email("leads/subscribe_confirmation", **fields)


@pytest.mark.django_db
def test_an_email_has_text_and_html_from_the_apps_templates_with_the_clinic():
    message = confirmation_email(
        context={"confirm_url": "https://clinic.example/confirm/x/"}
    )

    clinic = ClinicProfile.current()
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert clinic.name in body
        assert clinic.street_address in body
        assert "https://clinic.example/confirm/x/" in body
    assert message.alternatives[0].mimetype == "text/html"


@pytest.mark.django_db
def test_line_breaks_in_a_subject_or_header_cannot_add_headers():
    message = confirmation_email(
        subject="Hello\r\nBcc: victim@example.com",
        headers={"X-Note": "one\nBcc: victim@example.com"},
    ).message()

    assert message["Subject"] == "Hello Bcc: victim@example.com"
    assert message["X-Note"] == "one Bcc: victim@example.com"
    assert message["Bcc"] is None


def test_bulk_mail_headers_offer_one_click_unsubscribe():
    headers = mail.bulk_headers("https://clinic.example/unsubscribe/t/")

    assert headers == {
        "List-Unsubscribe": "<https://clinic.example/unsubscribe/t/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_a_message_id_is_fixed_per_email_on_the_sites_domain(settings):
    settings.SITE_URL = "https://clinic.example"

    assert mail.message_id("lead-confirmation", 7) == (
        "<lead-confirmation-7@clinic.example>"
    )


# --- Suppression ----------------------------------------------------------------


@pytest.mark.django_db
def test_suppressed_addresses_are_stored_once_in_lowercase():
    mail.suppress(["Ana@Example.com", "ana@example.com", "Ben <BEN@example.com>"])
    mail.suppress(["ana@example.com"], SuppressedAddress.Reason.COMPLAINED)

    rows = SuppressedAddress.objects.order_by("address")
    assert [(row.address, row.reason) for row in rows] == [
        ("ana@example.com", "bounced"),
        ("ben@example.com", "bounced"),
    ]


@pytest.mark.django_db
def test_sending_leaves_out_suppressed_recipients(mailoutbox):
    mail.suppress(["nurse@clinic.example"])
    message = confirmation_email(
        to=["frontdesk@clinic.example", "Nurse@Clinic.example"]
    )

    result = mail.send(message)

    assert result.outcome == Outcome.SENT
    [sent] = mailoutbox
    assert sent.to == ["frontdesk@clinic.example"]


@pytest.mark.django_db
def test_an_email_whose_recipients_are_all_suppressed_is_skipped(mailoutbox):
    mail.suppress(["ana@example.com"])
    message = confirmation_email()

    result = mail.send(message)

    assert result.outcome == Outcome.SKIPPED
    assert mailoutbox == []


@given(
    st.binary(max_size=200)
    | st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"\r", b"a"])).map(b"".join)
)
def test_message_data_is_dot_stuffed_as_smtplib_would_send_it(data):
    expected = smtplib._quote_periods(data)
    if not expected.endswith(b"\r\n"):
        expected += b"\r\n"

    assert dot_stuffed(data) == expected + b".\r\n"
