"""A durable local spool for what the database could not take.

While the database is unreachable, an accepted consultation request or
sign-up is written to SPOOL_DIR as one JSON file: written, fsync'd, renamed
into place and the folder fsync'd, so neither a crash nor a power cut loses
it. When the database answers again, ``drain()`` hands each entry to the
function that ``settings.SPOOL_HANDLERS`` names for its kind and then deletes
the file. The worker drains the spool as a periodic job, and a web process
that spooled something keeps trying in a background thread until it is empty.

Each entry is stored exactly once: its handler runs in one transaction with
a ``SpoolReceipt`` for the entry id, so a process that dies after the commit
but before deleting the file replays nothing. Spooled files hold personal
data: the folder and the files are readable by the site's user only, and
nothing here logs a payload.
"""

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    connections,
    transaction,
)
from django.utils.module_loading import import_string

from core.models import SpoolReceipt

logger = logging.getLogger(__name__)

SUFFIX = ".json"
CLAIMED = ".claimed"
FAILED_FOLDER = "failed"
# A claim older than this belongs to a process that died while handling it.
STALE_CLAIM_SECONDS = 600
RETRY_SECONDS = 5

_drainer_lock = threading.Lock()
_drainer = None


def spool_dir() -> Path:
    path = Path(settings.SPOOL_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write(kind: str, payload: dict) -> str:
    """Keep ``payload`` durably until the database can take it; its entry id."""
    if kind not in settings.SPOOL_HANDLERS:
        raise ValueError(f"No spool handler for {kind!r}")
    folder = spool_dir()
    entry_id = uuid.uuid4().hex
    name = f"{time.time_ns():020d}-{entry_id}.{kind}{SUFFIX}"
    entry = {"id": entry_id, "kind": kind, "payload": payload}
    temporary = folder / f".{name}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(entry, file, separators=(",", ":"))
        file.flush()
        os.fsync(file.fileno())
    os.rename(temporary, folder / name)
    _fsync_folder(folder)
    return entry_id


def pending() -> list[Path]:
    """Entries waiting, oldest first (names start with the time written)."""
    folder = spool_dir()
    _release_stale_claims(folder)
    return sorted(path for path in folder.iterdir() if path.name.endswith(SUFFIX))


def drain() -> int:
    """Hand every waiting entry to its handler; stop while the database is down.

    Returns how many entries went into the database. Two processes draining
    at once never take the same file: a claim is an atomic rename.
    """
    moved = 0
    for path in pending():
        claimed = path.with_name(f"{path.name}.{uuid.uuid4().hex}{CLAIMED}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:  # another process took it
            continue
        try:
            stored = store(json.loads(claimed.read_text(encoding="utf-8")))
        except (DatabaseError, InterfaceError) as error:
            if not isinstance(error, IntegrityError):
                os.rename(claimed, path)
                logger.warning("Database unavailable; %s waits", path.name)
                break
            _set_aside(claimed, path.name, error)
            continue
        except Exception as error:
            _set_aside(claimed, path.name, error)
            continue
        claimed.unlink()
        moved += stored
    if moved:
        _fsync_folder(spool_dir())
        logger.info("Moved %s spooled entries into the database", moved)
    return moved


def store(entry: dict) -> bool:
    """Hand one entry to its handler, once; False if it was stored before."""
    handler = import_string(settings.SPOOL_HANDLERS[entry["kind"]])
    try:
        with transaction.atomic():
            SpoolReceipt.objects.create(entry_id=entry["id"])
            handler(entry["payload"])
    except IntegrityError:
        if SpoolReceipt.objects.filter(entry_id=entry["id"]).exists():
            return False
        raise
    return True


def drain_in_background() -> None:
    """Start this process's drainer thread unless one is running already."""
    global _drainer
    with _drainer_lock:
        if _drainer is not None and _drainer.is_alive():
            return
        _drainer = threading.Thread(target=_drain_until_empty, daemon=True)
        _drainer.start()


def _drain_until_empty():
    try:
        while True:
            time.sleep(RETRY_SECONDS)
            with contextlib.suppress(Exception):
                drain()
            if not pending():
                return
    finally:
        connections.close_all()


def _release_stale_claims(folder):
    cutoff = time.time() - STALE_CLAIM_SECONDS
    for path in folder.glob(f"*{CLAIMED}"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                original = path.name.rsplit(".", 2)[0]
                os.rename(path, folder / original)


def _set_aside(claimed, name, error):
    """An entry that fails for another reason waits for staff, not forever.

    Only the error's type is logged: its message may quote the payload.
    """
    failed = claimed.parent / FAILED_FOLDER
    failed.mkdir(mode=0o700, exist_ok=True)
    os.rename(claimed, failed / name)
    logger.error("Spooled entry %s set aside (%s)", name, type(error).__name__)


def _fsync_folder(folder):
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
