"""A batch: claimed together, built from one rendering, sent over one connection."""

import email
import email.policy
import smtplib
from datetime import timedelta
from email.utils import parseaddr
from itertools import count

import pytest
from django.db import connection
from django.utils import timezone

from core.mail.sending import PLAIN_ADDRESS
from leads import tokens
from leads.models import Subscriber
from newsletter import announcing, emails, sending
from newsletter.models import Delivery
from tests.test_newsletter_sending import (
    WorkerKilled,
    before_each_message_data,
    deliver_everything,
    make_post,
    make_subscriber,
)

pytestmark = pytest.mark.django_db


def test_a_batch_goes_over_one_smtp_connection_and_marks_each_delivery_sent(
    smtp_server,
):
    for number in range(12):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    announcing.sweep()

    result = sending.send_batch(size=50)

    assert result.claimed == 12
    assert len(smtp_server.messages) == 12
    assert len(set(smtp_server.peers)) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_batch_interrupted_mid_way_resends_only_the_unsent_ones(
    smtp_server, settings, pipelining
):
    smtp_server.pipelining = pipelining
    for number in range(9):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    announcing.sweep()

    def dies_at_the_sixth_message(number):
        if number == 5:
            raise WorkerKilled

    with (
        before_each_message_data(dies_at_the_sixth_message),
        pytest.raises(WorkerKilled),
    ):
        sending.send_batch(size=50)
    assert Delivery.objects.filter(status="sent").count() == 5
    Delivery.objects.filter(status="sending").update(
        claimed_at=timezone.now() - timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT)
    )

    deliver_everything()

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(9)]


@pytest.mark.parametrize("pipelining", [False, True])
def test_each_emails_data_goes_only_once_the_one_before_is_recorded_as_sent(
    smtp_server, pipelining
):
    smtp_server.pipelining = pipelining
    for number in range(6):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    announcing.sweep()
    recorded_before_each = []

    def counts_what_is_recorded(number):
        recorded_before_each.append(Delivery.objects.filter(status="sent").count())

    with before_each_message_data(counts_what_is_recorded):
        sending.send_batch(size=50)

    assert recorded_before_each == [0, 1, 2, 3, 4, 5]
    assert Delivery.objects.filter(status="sent").count() == 6


@pytest.mark.parametrize("pipelining", [False, True])
def test_a_server_closing_the_connection_mid_batch_loses_and_repeats_nothing(
    smtp_server, settings, pipelining
):
    smtp_server.pipelining = pipelining
    settings.MAIL_RETRY_SECONDS = 0
    for number in range(9):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    accept = smtp_server.handle_DATA
    messages = count()

    async def shuts_down_at_the_fourth_message(server, session, envelope):
        if next(messages) == 3:
            return "421 4.3.2 Service shutting down"
        return await accept(server, session, envelope)

    smtp_server.handle_DATA = shuts_down_at_the_fourth_message
    deliver_everything()
    assert len(smtp_server.messages) == 3
    assert Delivery.objects.filter(status="sent").count() == 3
    smtp_server.handle_DATA = accept

    deliver_everything()

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(9)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_pipelined_envelope_refused_at_its_sender_bounces_no_one(
    smtp_server, settings
):
    settings.MAIL_RETRY_SECONDS = 0
    smtp_server.pipelining = True
    for number in range(3):
        make_subscriber(f"reader{number}@example.com")
    make_post()

    async def refuses_the_sender(server, session, envelope, address, options):
        return "550 5.7.1 Sender not allowed"

    smtp_server.handle_MAIL = refuses_the_sender
    deliver_everything()

    assert smtp_server.messages == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}
    assert not Subscriber.objects.filter(status=Subscriber.Status.BOUNCED).exists()
    del smtp_server.handle_MAIL

    deliver_everything()

    assert len(smtp_server.messages) == 3


def test_a_server_closing_at_a_pipelined_recipient_loses_and_repeats_nothing(
    smtp_server, settings
):
    settings.MAIL_RETRY_SECONDS = 0
    smtp_server.pipelining = True
    for number in range(5):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    accept = smtp_server.handle_RCPT

    async def shuts_down_at_the_third_reader(server, session, envelope, address, *_):
        if address == "reader2@example.com":
            return "421 4.3.2 Service shutting down"
        return await accept(server, session, envelope, address, *_)

    smtp_server.handle_RCPT = shuts_down_at_the_third_reader
    deliver_everything()
    assert len(smtp_server.messages) == 2
    assert {d.last_error for d in Delivery.objects.exclude(status="sent")} == {
        "Refused by the mail server: 421 4.3.2 Service shutting down",
        "The mail server closed the connection.",
    }
    smtp_server.handle_RCPT = accept

    deliver_everything()

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(5)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_server_offering_pipelining_gets_each_envelope_in_one_write(
    smtp_server, monkeypatch
):
    smtp_server.pipelining = True
    make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_post()
    announcing.sweep()
    send = smtplib.SMTP.send
    writes = []

    def records(self, payload):
        writes.append(payload)
        return send(self, payload)

    monkeypatch.setattr(smtplib.SMTP, "send", records)
    sending.send_batch(size=50)

    envelopes = [w for w in writes if isinstance(w, str) and w.startswith("mail ")]
    assert len(envelopes) == 2
    for envelope in envelopes:
        mail_from, rcpt_to, data, _ = envelope.split("\r\n")
        assert rcpt_to.startswith("rcpt TO:<") and data == "data"


def test_a_pipelined_data_the_server_takes_after_refusing_the_reader_sends_nothing(
    smtp_server,
):
    smtp_server.pipelining = True
    gone = make_subscriber("gone@example.com")
    make_subscriber("ana@example.com")
    make_post()

    async def refuses_but_keeps_the_address(server, session, envelope, address, *_):
        envelope.rcpt_tos.append(address)  # so DATA gets 354 all the same
        if address == "gone@example.com":
            return "550 5.1.1 Mailbox does not exist"
        return "250 OK"

    smtp_server.handle_RCPT = refuses_but_keeps_the_address
    deliver_everything()

    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    [empty] = [m for m in smtp_server.messages if "Subject" not in m]
    assert empty.get_payload() == ""
    assert len(smtp_server.to("ana@example.com")) == 1


def test_a_worker_stopped_while_the_server_waits_for_data_drops_the_connection(
    smtp_server, monkeypatch
):
    make_subscriber("ana@example.com")
    make_post()
    announcing.sweep()
    send = smtplib.SMTP.send
    on_the_wire = []

    def records(self, payload):
        if self.sock:
            on_the_wire.append(payload)
        return send(self, payload)

    def stops(number):
        raise WorkerKilled

    monkeypatch.setattr(smtplib.SMTP, "send", records)
    with before_each_message_data(stops), pytest.raises(WorkerKilled):
        sending.send_batch(size=50)

    assert on_the_wire[-1] == "data\r\n"
    assert smtp_server.messages == []


def test_each_email_of_a_batch_goes_to_its_own_reader_with_their_own_links(
    smtp_server,
):
    readers = [
        make_subscriber(f"reader{number}@example.com", first_name=f"Reader{number}")
        for number in range(7)
    ]
    make_post()
    announcing.sweep()

    sending.send_batch(size=50)

    assert len(smtp_server.messages) == len(readers)
    for message, (_, recipients) in zip(
        smtp_server.messages, smtp_server.envelopes, strict=True
    ):
        reader = next(r for r in readers if r.email == recipients[0])
        assert parseaddr(message["To"])[1] == reader.email
        assert reader.get_unsubscribe_url() in message["List-Unsubscribe"]
        assert reader.first_name in message.get_body(("plain",)).get_content()


def test_the_prepared_bytes_are_the_same_email_as_the_built_message():
    reader = make_subscriber("ana@example.com", first_name="Ana")
    make_post(title="How ketamine works in the brain")
    announcing.sweep()
    delivery = Delivery.objects.select_related("subscriber").get()
    builder = emails.MessageBuilder()

    wired = email.message_from_bytes(
        builder.wire(delivery), policy=email.policy.default
    )
    built = builder.build(delivery).message()

    for header in ["Subject", "To", "Message-ID", "List-Unsubscribe"]:
        assert wired[header] == built[header]
    for kind in ["plain", "html"]:
        assert (
            wired.get_body(preferencelist=(kind,)).get_content().replace("\r\n", "\n")
            == built.get_body(preferencelist=(kind,)).get_content()
        )
    assert reader.get_unsubscribe_url() in wired["List-Unsubscribe"]


def test_links_made_for_a_batch_are_the_subscribers_own_links(monkeypatch):
    reader = make_subscriber("ana@example.com")
    monkeypatch.setattr(tokens, "make_preferences_token", lambda s: "abc:def.ghi")
    links = emails.ReaderLinks()

    assert links.unsubscribe_url(reader) == reader.get_unsubscribe_url()
    assert links.preferences_url(reader) == reader.get_preferences_url()


@pytest.mark.parametrize(
    "address",
    [
        "reader1@example.com",
        "A.B+c_d-e@ex-ample.co.uk",
        ".a@example.com",
        "a..b@example.com",
        "a@example..com",
        "José@example.com",
        "ana@exämple.com",
        "Ana <ana@example.com>",
        '"a b"@example.com',
    ],
)
def test_an_address_sent_without_parsing_is_one_parsing_would_leave_unchanged(
    address, smtp_server
):
    from django.core.mail import mailers

    if PLAIN_ADDRESS.fullmatch(address):
        assert mailers.default.prep_address(address) == address


def test_a_claim_reads_only_owed_rows_however_many_were_sent_before():
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's (SQLite walks its rowids quickly)")
    post = make_post()
    readers = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.com", status=Subscriber.Status.CONFIRMED)
        for n in range(3000)
    )
    Delivery.objects.bulk_create(
        Delivery(post=post, subscriber=reader, status=Delivery.Status.SENT)
        for reader in readers[:2990]
    )
    Delivery.objects.bulk_create(
        Delivery(post=post, subscriber=reader) for reader in readers[2990:]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
    owed = (
        Delivery.objects.claimable(timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )

    plan = owed.explain(analyze=True)

    assert "delivery_owed_idx" in plan
    assert "Rows Removed by Filter: 2990" not in plan
    assert len(owed) == 10
