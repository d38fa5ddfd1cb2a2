"""Log lines a request cannot forge: control characters arrive escaped."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client

from core.log_safety import EscapingFormatter, GunicornLogger

FORGED_PATH = "/blog/x\r\nINFO django forged line\x1b[2J\u2028end/"


@pytest.fixture
def app_log(settings):
    """What the app's console handler, as configured in LOGGING, writes."""
    from logging.config import dictConfig

    stream = io.StringIO()
    config = {**settings.LOGGING, "handlers": {}}
    config["handlers"] = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": stream,
        }
    }
    dictConfig(config)
    yield stream
    dictConfig(settings.LOGGING)


def test_the_app_log_escapes_control_characters_from_a_request_path(app_log):
    logging.getLogger("django.request").warning("Not Found: %s", FORGED_PATH)

    line = app_log.getvalue()
    assert line.count("\n") == 1  # one record, one line
    assert "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert "x\\x0d\\x0aINFO django forged line\\x1b[2J\\u2028end" in line


@pytest.mark.django_db
def test_a_request_for_a_forged_path_logs_one_escaped_line(app_log):
    Client(raise_request_exception=False).get("/blog/x%0d%0aINFO%20forged%1b/")

    output = app_log.getvalue()
    assert "\x1b" not in output and "\r" not in output
    assert all(
        line.startswith(("WARNING", "INFO", "ERROR")) for line in output.splitlines()
    )


def test_a_traceback_keeps_its_line_breaks_but_not_other_controls():
    formatter = EscapingFormatter("{levelname} {message}", style="{")
    try:
        raise ValueError("bad \x1b[31m value\r\nforged")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "", 0, "boom", (), None)
        import sys

        record.exc_info = sys.exc_info()

    text = formatter.format(record)
    assert "Traceback (most recent call last):\n" in text
    assert "\x1b" not in text and "\r" not in text
    assert "bad \\x1b[31m value\\x0d\nforged" in text


def gunicorn_logger(stream):
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(m)s %(U)s" %(s)s %(a)s')
    logger = GunicornLogger(config)
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    return logger


def test_the_gunicorn_access_log_escapes_control_characters():
    stream = io.StringIO()
    logger = gunicorn_logger(stream)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/x",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": FORGED_PATH,
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "agent\x1b]0;title\x07",
    }
    response = SimpleNamespace(status="404 Not Found", headers=[], sent=10)
    request = SimpleNamespace(headers=[("USER-AGENT", "agent\x1b]0;title\x07")])

    logger.access(response, request, environ, timedelta(seconds=0.01))

    line = stream.getvalue()
    assert line.count("\n") == 1
    assert "\r" not in line and "\x1b" not in line and "\x07" not in line
    assert "x\\x0d\\x0aINFO django forged line" in line


def test_gunicorn_is_configured_with_the_escaping_logger():
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))

    assert config["logger_class"] == "core.log_safety.GunicornLogger"
