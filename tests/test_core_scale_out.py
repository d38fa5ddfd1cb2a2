"""Two web processes and two workers, one PostgreSQL and one Redis: every
change of issue 14 part 3, made anywhere, is served fresh by both web
processes on their next request (core.page_cache).

Needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1:6379; both are
required under CI=true and the test is skipped without them elsewhere.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import connection
from django.utils import timezone

from blog.models import Comment, Post, Topic
from core.models import ClinicProfile

PROJECT_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers.get("X-Page-Cache"), response.read().decode()


@pytest.fixture
def shared_redis(settings):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("CI must run Redis on 127.0.0.1:6379 for this test")
        pytest.skip("no Redis on 127.0.0.1:6379")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (the CI runs it in its PostgreSQL suite)")
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
    }
    return REDIS_URL


@pytest.fixture
def two_web_processes(shared_redis, transactional_db):
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": shared_redis,
        "LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    commands = [
        *(["runserver", "--noreload", str(port)] for port in ports),
        ["run_worker"],
        ["run_worker"],
    ]
    servers = [
        subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=PROJECT_DIR,
            env={**env, "PERIODIC_TICK_SECONDS": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in commands
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            for _ in range(150):
                try:
                    get(base + "/healthz")
                    break
                except OSError:
                    time.sleep(0.2)
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def assert_fresh_in_both(bases, path, shown=None, gone=None):
    for base in bases:
        state, page = get(base + path)
        assert state == "miss", (base, path)
        if shown:
            assert shown in page, (base, path)
        if gone:
            assert gone not in page, (base, path)


def warm(bases, *paths):
    for base in bases:
        for path in paths:
            get(base + path)
            assert get(base + path)[0] == "hit", (base, path)


def staff_opener(base, user, password):
    """A urllib opener signed in as ``user`` on the web process at ``base``."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = opener.open(base + "/staff/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)[1]
    opener.open(
        base + "/staff/login/",
        urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "login": user, "password": password}
        ).encode(),
    )
    return opener


def admin_action(opener, base, changelist, action, pk):
    page = opener.open(base + changelist).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    opener.open(
        base + changelist,
        urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "action": action,
                "_selected_action": pk,
                "index": 0,
            }
        ).encode(),
    )


def test_a_post_published_in_one_process_is_fresh_in_both_at_once(
    two_web_processes, make_post, django_user_model
):
    ClinicProfile.current()
    draft = make_post(status=Post.Status.DRAFT, title="Breaking clinic news")
    django_user_model.objects.create_superuser("chief", password="a long passphrase")
    first, second = two_web_processes
    warm(two_web_processes, "/blog/")

    opener = staff_opener(first, "chief", "a long passphrase")
    admin_action(opener, first, "/admin/blog/post/", "publish_anyway", draft.pk)

    draft.refresh_from_db()
    assert draft.status == Post.Status.PUBLISHED
    assert_fresh_in_both(two_web_processes, "/blog/", shown="Breaking clinic news")


def test_every_kind_of_change_is_fresh_in_both_processes_at_once(
    two_web_processes, make_post
):
    bases = two_web_processes
    profile = ClinicProfile.current()
    topic = Topic.objects.create(name="Anxiety", slug="anxiety")
    post = make_post(title="Sleep and mood", topics=[topic])
    author = post.author
    draft = make_post(status=Post.Status.DRAFT, title="A draft for now")
    comment = Comment.objects.create(
        post=post, name="Reader", body="This helped me a lot.", status="pending"
    )
    about = FlatPage.objects.create(url="/about/", title="About us", content="Old.")
    about.sites.add(Site.objects.get_current())
    post_path, list_path = post.get_absolute_url(), "/blog/"

    def publish():
        draft.status = Post.Status.PUBLISHED
        draft.save()

    def edit():
        post.title = "Sleep, mood and ketamine"
        post.save()

    def unpublish():
        draft.unpublish()

    def approve_comment():
        comment.status = Comment.Status.APPROVED
        comment.save()

    def remove_comment():
        comment.delete()

    def edit_profile():
        profile.name = "Harbor Light Renamed Clinic"
        profile.save()

    def edit_flat_page():
        about.content = "We opened our doors in 2019."
        about.save()

    def edit_author():
        author.display_name = "Care Team"
        author.save()

    def edit_topic():
        topic.name = "Anxiety and stress"
        topic.save()

    changes = [
        (publish, list_path, {"shown": "A draft for now"}),
        (edit, post_path, {"shown": "Sleep, mood and ketamine"}),
        (unpublish, list_path, {"gone": "A draft for now"}),
        (approve_comment, post_path, {"shown": "This helped me a lot."}),
        (remove_comment, post_path, {"gone": "This helped me a lot."}),
        (edit_profile, "/", {"shown": "Harbor Light Renamed Clinic"}),
        (edit_flat_page, "/about/", {"shown": "We opened our doors in 2019."}),
        (edit_author, author.get_absolute_url(), {"shown": "Care Team"}),
        (edit_topic, topic.get_absolute_url(), {"shown": "Anxiety and stress"}),
    ]
    for change, path, expected in changes:
        warm(bases, path)
        change()
        assert_fresh_in_both(bases, path, **expected)


def test_a_scheduled_post_appears_in_both_processes_when_its_time_comes(
    two_web_processes, make_post
):
    ClinicProfile.current()
    make_post(
        title="Published by the clock",
        status=Post.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(seconds=4),
    )
    warm(two_web_processes, "/blog/")
    assert "Published by the clock" not in get(two_web_processes[0] + "/blog/")[1]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pages = [get(base + "/blog/")[1] for base in two_web_processes]
        if all("Published by the clock" in page for page in pages):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the scheduled post never appeared in both processes")
