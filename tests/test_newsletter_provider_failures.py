"""A provider's API that answers 429 or 5xx (issue 11): the email is retried
with the pipeline's backoff, never lost and never sent twice. The provider is
a Postmark-shaped HTTP server on loopback, reached through anymail's real
Postmark backend (ANYMAIL POSTMARK_API_URL)."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from anymail.exceptions import AnymailAPIError
from django.utils import timezone

from core import mail
from core.mail.failures import Failure, classify
from newsletter import announcing, sending
from newsletter.models import Delivery
from tests.test_newsletter_sending import make_post, make_subscriber

pytestmark = pytest.mark.django_db


class FakePostmark(BaseHTTPRequestHandler):
    answers: list = []
    accepted: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.accepted.append(body)
            reply = {
                "ErrorCode": 0,
                "Message": "OK",
                "MessageID": "b7bc2f4a",
                "To": body["To"],
                "SubmittedAt": "2026-12-02T10:00:00Z",
            }
        else:
            reply = {"ErrorCode": 100, "Message": "Try later"}
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def postmark(settings):
    FakePostmark.answers = []
    FakePostmark.accepted = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MAILERS = {
        "default": {"BACKEND": "anymail.backends.postmark.EmailBackend"}
    }
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{server.server_port}/",
    }
    settings.MAIL_RETRY_SECONDS = 0
    yield FakePostmark
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_provider_saying_later_is_retried_then_sent_once(postmark, status):
    make_subscriber("reader@example.com")
    make_post()
    announcing.sweep()
    postmark.answers = [status, status]

    for _ in range(3):
        sending.send_batch()
    delivery = Delivery.objects.get()

    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 3
    assert len(postmark.accepted) == 1
    assert postmark.accepted[0]["Metadata"] == {"delivery": str(delivery.pk)}


def test_provider_retries_wait_for_the_backoff(postmark, settings):
    settings.MAIL_RETRY_SECONDS = 60
    make_subscriber("reader@example.com")
    make_post()
    announcing.sweep()
    postmark.answers = [429]

    sending.send_batch()
    second = sending.send_batch()

    delivery = Delivery.objects.get()
    assert second.claimed == 0
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert "429" in delivery.last_error


def test_provider_refusing_the_message_for_good_is_not_retried(postmark):
    make_subscriber("reader@example.com")
    make_post()
    announcing.sweep()
    postmark.answers = [422]

    sending.send_batch()

    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert postmark.accepted == []


def test_provider_errors_are_classified_by_status():
    assert classify(AnymailAPIError(status_code=429)) is Failure.TEMPORARY
    assert classify(AnymailAPIError(status_code=502)) is Failure.TEMPORARY
    assert classify(AnymailAPIError(status_code=401)) is Failure.PERMANENT
    assert mail.describe(AnymailAPIError(status_code=503)).endswith("503")
