"""A real database outage: gunicorn keeps answering and recovers by itself.

PostgreSQL is reached through a small TCP relay that the test can cut, the
way a network failure or a database restart would.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"), reason="needs a PostgreSQL DATABASE_URL"
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def close_both_ways(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Relay:
    """Forwards a local port to the database until it is cut."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.connections = []
        self.listener = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(
            target=self._accept, args=(self.listener,), daemon=True
        ).start()

    def cut(self):
        # shutdown() wakes the thread blocked in accept(); close() alone
        # would leave the port accepting.
        close_both_ways(self.listener)
        for conn in self.connections:
            close_both_ways(conn)
        self.connections.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in [(client, upstream), (upstream, client)]:
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            close_both_ways(source)
            close_both_ways(sink)


def get_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def relay():
    parts = urlsplit(DATABASE_URL)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relay.start()
    yield relay
    relay.cut()


@pytest.fixture
def gunicorn(relay):
    parts = urlsplit(DATABASE_URL)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{parts.username or 'postgres'}@127.0.0.1:{relay.port}/postgres"
        ),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic_site.wsgi",
            "--config",
            "gunicorn.conf.py",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/healthz"

    def answering():
        try:
            return get_status(url) > 0
        except OSError:
            return False

    assert wait_for(answering), "gunicorn did not start"
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_health_check_reports_an_outage_and_recovers_when_the_database_returns(
    relay, gunicorn
):
    assert get_status(gunicorn) == 200

    relay.cut()
    assert wait_for(lambda: get_status(gunicorn) == 503)

    relay.start()
    assert wait_for(lambda: get_status(gunicorn) == 200)
