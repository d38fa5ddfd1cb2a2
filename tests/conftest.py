import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _own_media_and_spool(settings, tmp_path_factory):
    """Uploads and spooled posts go to folders of the test's own, never to
    the checkout's, so parallel workers cannot see each other's files."""
    folder = tmp_path_factory.mktemp("files")
    settings.MEDIA_ROOT = folder / "media"
    settings.SPOOL_DIR = folder / "spool"


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    """The per-process cache (clinic profile) starts empty in every test.

    The shared "default" cache lives in the test database, so each test's
    rollback already empties it.
    """
    from django.core.cache import caches

    caches["local"].clear()


class SMTPSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives.

    ``messages`` holds parsed ``email.message.EmailMessage`` objects and
    ``envelopes`` the (MAIL FROM, RCPT TO list) of each, ``peers`` the client
    address and port of the connection that brought it. Add addresses to
    ``refuse`` (answered 550) or ``defer`` (answered 451) to simulate
    permanent and temporary failures; ``stop()`` and ``start()`` close and
    reopen the same port, as if the mail server went down and came back.
    Set ``pipelining`` to offer PIPELINING (RFC 2920) on new connections, as
    most mail servers do; aiosmtpd reads pipelined commands in order.
    """

    def __init__(self):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages = []
        self.envelopes = []
        self.peers = []
        self.refuse = set()
        self.defer = set()
        self.pipelining = False
        self.controller = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox does not exist"
        if address in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        policy = email.policy.default
        message = email.message_from_bytes(envelope.content, policy=policy)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count, timeout=10.0):
        """Wait until at least ``count`` messages arrived (for worker processes)."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.messages) >= count

    def to(self, address):
        """The messages whose envelope recipients include ``address``."""
        pairs = zip(self.messages, self.envelopes, strict=True)
        return [message for message, (_, to) in pairs if address in to]


@pytest.fixture
def smtp_server(settings):
    """A running SMTPSink with the default mailer pointed at it."""
    server = SMTPSink()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    yield server
    server.stop()


@pytest.fixture
def make_lead(db):
    """A builder of saved leads: ``make_lead(status=..., created_at=...)``.

    ``created_at`` may be given although the field is ``auto_now_add``.
    """
    import itertools

    from django.utils import timezone

    from leads.models import Lead

    numbers = itertools.count(1)

    def make(**overrides):
        number = next(numbers)
        created_at = overrides.pop("created_at", None)
        fields = {
            "full_name": f"Person {number}",
            "email": f"person{number}@example.com",
            "consent_text": "I agree to be contacted.",
            "consent_version": "test",
            "consented_at": timezone.now(),
            **overrides,
        }
        lead = Lead.objects.create(**fields)
        if created_at is not None:
            Lead.objects.filter(pk=lead.pk).update(created_at=created_at)
            lead.created_at = created_at
        return lead

    return make


@pytest.fixture
def roles(db):
    """The staff groups the leads data migration creates.

    Transactional tests (live server, worker) flush the database afterwards,
    taking the migration's rows with them, so they are put back when missing.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    names = ["Front desk", "Editors"]
    if Group.objects.filter(name__in=names).count() < len(names):
        importlib.import_module("leads.migrations.0002_roles").create_roles(apps, None)
    return names


@pytest.fixture
def make_staff(roles, django_user_model):
    """A builder of staff users in the named groups: ``make_staff("Front desk")``."""
    from django.contrib.auth.models import Group

    def make(*groups, username=None, **fields):
        username = username or "-".join(g.lower().replace(" ", "") for g in groups)
        user = django_user_model.objects.create_user(
            username or "staff", password="correct horse 42", is_staff=True, **fields
        )
        user.groups.set([Group.objects.get(name=name) for name in groups])
        return user

    return make


@pytest.fixture
def desk(make_staff):
    """A Front desk member, alex."""
    return make_staff("Front desk", username="alex")


@pytest.fixture
def desk_client(client, desk):
    client.force_login(desk)
    return client


@pytest.fixture
def make_many_leads(db):
    """Insert ``count`` varied leads fast: ``make_many_leads(5000, users, post)``.

    Statuses, interests, assignees, sources and ages (two hours apart) vary;
    two in three were contacted three hours after they arrived.
    """
    import datetime

    from django.utils import timezone

    from leads.models import Lead

    def make(count, users=(), post=None):
        now = timezone.now()
        statuses = Lead.Status.values
        leads = Lead.objects.bulk_create(
            Lead(
                full_name=f"Bulk Person {n}",
                email=f"bulk{n}@example.com",
                phone=f"+1555555{n % 10000:04d}",
                interests=["depression", "anxiety"] if n % 2 else ["ptsd"],
                consent_text="I agree.",
                consent_version="test",
                consented_at=now,
                status=statuses[n % len(statuses)],
                is_urgent=n % 50 == 0,
                assigned_to=users[n % len(users)] if users else None,
                source_post=post if n % 3 == 0 else None,
                utm_source=f"source{n % 7}" if n % 4 == 0 else "",
            )
            for n in range(count)
        )
        for n, lead in enumerate(leads):
            lead.created_at = now - datetime.timedelta(hours=n * 2)
            if n % 3:
                lead.first_contacted_at = lead.created_at + datetime.timedelta(hours=3)
        Lead.objects.bulk_update(
            leads, ["created_at", "first_contacted_at"], batch_size=500
        )
        return leads

    return make


def admin_form_data(html, form_id):
    """The values a browser would send for the form ``form_id`` in ``html``."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside = False
            self.data = {}
            self.select = self.textarea = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.inside = attrs.get("id") == form_id
            if not self.inside:
                return
            name = attrs.get("name")
            if tag == "input" and name:
                kind = attrs.get("type", "text")
                if kind in ("checkbox", "radio"):
                    if "checked" in attrs:
                        self.data[name] = attrs.get("value", "on")
                elif kind not in ("submit", "button", "file"):
                    self.data[name] = attrs.get("value", "")
            elif tag == "select" and name:
                self.select = name
                self.data.setdefault(name, "")
            elif tag == "option" and self.select and "selected" in attrs:
                self.data[self.select] = attrs.get("value", "")
            elif tag == "textarea" and name:
                self.textarea = name
                self.data[name] = ""

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None

        def handle_data(self, data):
            if self.textarea:
                self.data[self.textarea] += data.removeprefix("\n")

    parser = Parser()
    parser.feed(html)
    return parser.data


@pytest.fixture
def form_data():
    return admin_form_data


# --- blog fixtures ------------------------------------------------------------
@pytest.fixture
def make_post(db):
    """A builder of saved posts, public since yesterday unless told otherwise.

    ``make_post(topics=[...], author=..., status=..., published_at=...)``.
    """
    import itertools
    from datetime import timedelta

    from django.utils import timezone

    from blog.models import Author, Post

    numbers = itertools.count(1)

    def make(**overrides):
        number = next(numbers)
        topics = overrides.pop("topics", [])
        if "author" not in overrides:
            overrides["author"], _ = Author.objects.get_or_create(
                slug="clinical-team",
                defaults={"display_name": "Clinical Team", "is_team": True},
            )
        fields = {
            "title": f"Understanding ketamine treatment, part {number}",
            "slug": f"understanding-ketamine-{number}",
            "summary": "What to expect, in plain language.",
            "body": "## What it is\n\nKetamine acts on the glutamate system.",
            "status": Post.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(days=1),
            **overrides,
        }
        post = Post.objects.create(**fields)
        if topics:
            post.topics.set(topics)
        return post

    return make


@pytest.fixture
def post(make_post):
    return make_post()


# --- staff sign-in fixtures ----------------------------------------------------
STAFF_PASSWORD = "correct horse 42"


def current_totp_code(secret):
    """The code an authenticator app shows now for ``secret``."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def totp_code():
    return current_totp_code


@pytest.fixture
def make_staff_with_totp(make_staff):
    """A builder of staff who set up an authenticator app and recovery codes.

    Returns ``(user, secret, recovery_codes)``.
    """
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    def make(*groups, **fields):
        user = make_staff(*groups, **fields)
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        codes = RecoveryCodes.activate(user).generate_codes()
        return user, secret, codes

    return make


@pytest.fixture
def sign_in():
    """Sign in through the staff pages: password, then the second step.

    ``sign_in(client, username, secret=...)`` answers with the authenticator
    app's current code, ``code=...`` with a given (recovery) code. Returns the
    last response; extra keyword arguments (REMOTE_ADDR, HTTP_X_REAL_IP) go
    with each request.
    """
    from django.urls import reverse

    def sign_in(
        client, username, password=STAFF_PASSWORD, code=None, secret=None, **extra
    ):
        response = client.post(
            reverse("account_login"),
            {"login": username, "password": password},
            **extra,
        )
        if secret is not None:
            # Computed only now: hashing the password takes a while, and the
            # app's code changes every 30 seconds.
            code = current_totp_code(secret)
        if code is not None:
            response = client.post(reverse("mfa_authenticate"), {"code": code}, **extra)
        return response

    return sign_in


# --- care fixtures ------------------------------------------------------------
def numbered_builder(model, defaults, many=()):
    """``make(**overrides)`` saving a ``model`` row from ``defaults(number)``.

    Each call gets the next number, so slugs stay unique; ``many`` names the
    many-to-many fields that are set after the row is saved.
    """
    import itertools

    numbers = itertools.count(1)

    def make(**overrides):
        related = {name: overrides.pop(name) for name in many if name in overrides}
        row = model.objects.create(**{**defaults(next(numbers)), **overrides})
        for name, values in related.items():
            getattr(row, name).set(values)
        return row

    return make


@pytest.fixture
def make_location(db):
    """A builder of saved locations: ``make_location(name=..., latitude=...)``."""
    from care.models import Location

    return numbered_builder(
        Location,
        lambda number: {
            "name": f"Office {number}",
            "slug": f"office-{number}",
            "street_address": f"{number} Example Street",
            "city": "Springfield",
            "region": "OR",
            "postcode": "97477",
            "phone": "(555) 010-0000",
            "opening_hours": "Monday–Friday 9:00–17:00",
        },
    )


@pytest.fixture
def make_treatment(db):
    """A builder of saved treatments, published unless told otherwise."""
    from decimal import Decimal

    from care.models import Treatment

    return numbered_builder(
        Treatment,
        lambda number: {
            "name": f"Treatment {number}",
            "slug": f"treatment-{number}",
            "summary": "A treatment, described in plain language.",
            "about": "What it is.",
            "price_kind": "from",
            "price_from": Decimal("450"),
            "is_published": True,
        },
        many=["locations"],
    )


@pytest.fixture
def make_question(db):
    """A builder of saved FAQ questions, in a "General" group by default."""
    from care.models import FaqGroup, Question

    def defaults(number):
        group, _ = FaqGroup.objects.get_or_create(
            slug="general", defaults={"name": "General"}
        )
        return {
            "group": group,
            "question": f"Question number {number}?",
            "answer": f"Answer number {number}.",
        }

    return numbered_builder(Question, defaults)


@pytest.fixture
def page_json_ld():
    """The parsed JSON-LD block of a response: ``page_json_ld(response)``."""
    import json

    def read(response):
        payload = response.text.split('<script type="application/ld+json">')[1]
        return json.loads(payload.split("</script>")[0])

    return read


# --- uploaded images ----------------------------------------------------------
@pytest.fixture
def image_upload(settings, tmp_path):
    """A builder of uploaded PNGs, stored under a throw-away MEDIA_ROOT:
    ``image_upload(width, height, name="photo.png")``."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path

    def make(width=400, height=400, name="photo.png"):
        buffer = BytesIO()
        Image.new("RGB", (width, height), "#8fb8c9").save(buffer, "PNG")
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")

    return make
