"""The durable spool keeps what the database could not take, and hands it over
exactly once when the database is back."""

import json
import os
import time

import pytest
from django.db import OperationalError, connection

from core import spool
from core.models import SpoolReceipt

pytestmark = pytest.mark.django_db

RECEIVED = []
DATABASE_DOWN = False


def record(payload):
    if DATABASE_DOWN:
        raise OperationalError("could not connect to server")
    if payload.get("broken"):
        raise ValueError("not a valid entry")
    RECEIVED.append(payload)


@pytest.fixture(autouse=True)
def spool_settings(settings, tmp_path):
    global DATABASE_DOWN
    settings.SPOOL_DIR = tmp_path / "spool"
    settings.SPOOL_HANDLERS = {"note": f"{__name__}.record"}
    RECEIVED.clear()
    DATABASE_DOWN = False
    return settings.SPOOL_DIR


def test_a_spooled_entry_is_on_disk_before_write_returns(spool_settings):
    entry_id = spool.write("note", {"text": "hello"})

    [path] = spool.pending()
    assert json.loads(path.read_text())["payload"] == {"text": "hello"}
    assert json.loads(path.read_text())["id"] == entry_id


def test_the_spool_is_readable_by_the_site_user_only(spool_settings):
    spool.write("note", {"text": "private"})

    [path] = spool.pending()
    assert os.stat(spool_settings).st_mode & 0o077 == 0
    assert os.stat(path).st_mode & 0o077 == 0


def test_draining_hands_each_entry_over_once_in_order():
    first = spool.write("note", {"n": 1})
    second = spool.write("note", {"n": 2})

    moved = spool.drain()
    again = spool.drain()

    assert (moved, again) == (2, 0)
    assert RECEIVED == [{"n": 1}, {"n": 2}]
    assert SpoolReceipt.objects.filter(entry_id__in=[first, second]).count() == 2
    assert spool.pending() == []


def test_entries_stay_while_the_database_is_down():
    global DATABASE_DOWN
    spool.write("note", {"n": 1})
    DATABASE_DOWN = True

    moved = spool.drain()

    assert moved == 0
    assert len(spool.pending()) == 1


def test_an_entry_replayed_after_a_crash_is_stored_once(spool_settings):
    spool.write("note", {"n": 1})
    [path] = spool.pending()
    copy = path.read_text()
    spool.drain()
    path.write_text(copy)  # as if the process died before deleting the file

    spool.drain()

    assert len(RECEIVED) == 1


def test_a_claim_left_by_a_dead_process_is_taken_over(spool_settings):
    spool.write("note", {"n": 1})
    [path] = spool.pending()
    claimed = path.with_name(path.name + ".deadbeef.claimed")
    os.rename(path, claimed)
    long_ago = time.time() - spool.STALE_CLAIM_SECONDS - 1
    os.utime(claimed, (long_ago, long_ago))

    moved = spool.drain()

    assert moved == 1


def test_a_claim_of_a_live_process_is_left_alone(spool_settings):
    spool.write("note", {"n": 1})
    [path] = spool.pending()
    os.rename(path, path.with_name(path.name + ".cafe.claimed"))

    moved = spool.drain()

    assert moved == 0
    assert RECEIVED == []


def test_an_entry_that_cannot_be_stored_is_set_aside_for_staff(spool_settings):
    spool.write("note", {"broken": True})
    spool.write("note", {"n": 2})

    moved = spool.drain()

    assert moved == 1
    assert len(list((spool_settings / "failed").iterdir())) == 1
    assert spool.pending() == []


def test_an_unknown_kind_is_refused_before_anything_is_written():
    with pytest.raises(ValueError):
        spool.write("unknown", {})

    assert spool.pending() == []


def test_the_background_drainer_stores_the_backlog_and_closes_its_connection(
    spool_settings, transactional_db, monkeypatch
):
    monkeypatch.setattr(spool, "RETRY_SECONDS", 0.01)
    spool.write("note", {"n": 1})

    spool.drain_in_background()
    spool._drainer.join(timeout=10)

    assert RECEIVED == [{"n": 1}]
    assert spool.pending() == []
    if connection.vendor == "postgresql":
        assert connections_to_this_database(within_seconds=5) == 1


def connections_to_this_database(within_seconds):
    """The server ends a closed connection's backend a moment after the
    client has gone: count until only ours is left, or the time is up."""
    deadline = time.monotonic() + within_seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
            if count == 1 or time.monotonic() > deadline:
                return count
            time.sleep(0.05)
