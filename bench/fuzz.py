"""Send generated bad requests to a live gunicorn and count the answers.

Starts gunicorn on loopback with production settings against a fresh SQLite
database filled with the demo content (or DATABASE_URL, if set), then sends
a fixed number of requests built from a seeded generator: bad paths, NUL and
undecodable bytes in query strings, form bodies in odd charsets, oversized
bodies, multipart uploads, garbage cookies and headers, and admin list
filters as a signed-in superuser. Prints the status counts, checks the
access log for raw control characters, and exits non-zero on any 5xx.

    .venv/bin/python bench/fuzz.py [--requests 10000] [--clients 4] [--seed 1]
"""

import argparse
import collections
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from public_pages import PROJECT_DIR, free_port  # noqa: E402

HOST = "127.0.0.1"
SUPERUSER = ("fuzz-admin", "fuzz-admin-password-42")
PUBLIC_PATHS = [
    "/", "/blog/", "/blog/feed/", "/blog/feed/atom/", "/sitemap.xml", "/robots.txt",
    "/contact/", "/contact/thanks/", "/subscribe/", "/subscribe/thanks/",
    "/subscribe/confirm/garbage/", "/unsubscribe/garbage/", "/about/",
    "/healthz", "/favicon.ico", "/media/x.png", "/static/css/site.css",
]  # fmt: skip
FORM_PATHS = ["/contact/", "/subscribe/", "/admin/login/"]
NASTY = [
    "%00", "%ff", "%c3", "%0d%0a", "%1b[2J", "%e2%80%ae", "'", "[", "-1", "0",
    "99999999999999999999999", "%F0%9D%84%9E", "a" * 3000, "%%", "+", "\xff",
]  # fmt: skip
CHARSETS = ["utf-8", "utf-16", "utf-32", "cp037", "bogus", "rot13", "latin-1", ""]
COOKIES = ["csrftoken", "sessionid", "messages", "visit_source", "liked_posts"]
FIELDS = [
    "full_name", "email", "phone", "message", "consent", "interests", "post",
    "source_path", "website", "started", "first_name", "frequency", "name", "body",
    "List-Unsubscribe", "username", "password",
]  # fmt: skip


def send(raw: bytes, timeout: float = 30.0) -> str:
    """One request on its own connection; the status code, or why there is none."""
    try:
        with socket.create_connection((HOST, PORT), timeout=timeout) as sock:
            sock.sendall(raw)
            data = b""
            while b"\r\n" not in data and len(data) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
    except TimeoutError:
        return "timeout"
    except OSError as error:
        return f"connection error ({type(error).__name__})"
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return match.group(1).decode() if match else "no response"


def request(method, target, headers=(), body=b""):
    lines = [f"{method} ".encode() + target + b" HTTP/1.1", f"Host: {HOST}".encode()]
    lines += [name + b": " + value for name, value in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class Generator:
    def __init__(self, seed, session, csrf, post_paths, admin_lists):
        self.random = random.Random(seed)
        self.session = session
        self.csrf = csrf  # (cookie value, form token)
        self.paths = PUBLIC_PATHS + post_paths
        self.post_paths = [p + suffix for p in post_paths for suffix in
                           ("comment/", "like/", "view/")]  # fmt: skip
        self.admin_lists = admin_lists

    def nasty(self):
        r = self.random
        kind = r.random()
        if kind < 0.5:
            return r.choice(NASTY)
        if kind < 0.8:
            return quote("".join(chr(r.randrange(0, 0x3000)) for _ in range(8)))
        return "".join(f"%{r.randrange(256):02x}" for _ in range(r.randrange(1, 6)))

    def query(self, names):
        r = self.random
        pairs = [f"{r.choice(names)}={self.nasty()}" for _ in range(r.randrange(1, 4))]
        return "&".join(pairs).encode("latin-1", "replace")

    def cookies(self):
        r = self.random
        pairs = [
            f"{r.choice(COOKIES)}={self.nasty()}" for _ in range(r.randrange(1, 4))
        ]
        return ("; ".join(pairs)).encode("latin-1", "replace")

    def form_body(self, charset):
        r = self.random
        fields = {r.choice(FIELDS): self.nasty() for _ in range(r.randrange(1, 8))}
        fields["csrfmiddlewaretoken"] = self.csrf[1]
        text = "&".join(f"{name}={value}" for name, value in fields.items())
        try:
            return text.encode(charset or "utf-8")
        except (LookupError, UnicodeError):
            return text.encode()

    def multipart(self, with_file):
        boundary = "fuzz" + str(self.random.randrange(10**6))
        parts = [
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="csrfmiddlewaretoken"\r\n\r\n{self.csrf[1]}',
            f'--{boundary}\r\nContent-Disposition: form-data; name="full_name"'
            f"\r\n\r\n{self.nasty()}",
        ]
        if with_file:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="f"; '
                f'filename="{self.nasty()}.exe"\r\n\r\n' + "MZ" * 100
            )
        body = "\r\n".join(parts) + f"\r\n--{boundary}--\r\n"
        if self.random.random() < 0.2:
            body = body[: self.random.randrange(len(body))]  # truncated
        return body.encode("latin-1", "replace"), boundary

    def csrf_cookie(self):
        return b"csrftoken=" + self.csrf[0].encode()

    def next(self):
        r = self.random
        kind = r.random()
        if kind < 0.18:  # public GET, bad query string
            path = r.choice(self.paths)
            names = ["q", "page", "post", "utm_source", "next", "o", self.nasty()]
            return request(
                r.choice(["GET", "HEAD"]),
                path.encode() + b"?" + self.query(names),
            )
        if kind < 0.28:  # bad path
            segments = [self.nasty() for _ in range(r.randrange(1, 4))]
            prefix = r.choice(["/", "/blog/", "/blog/topic/", "/admin/", "/media/"])
            target = (prefix + "/".join(segments)).encode("latin-1", "replace")
            return request("GET", target)
        if kind < 0.36:  # garbage cookies and headers
            headers = [
                (b"Cookie", self.cookies()),
                (b"Referer", self.nasty().encode("latin-1", "replace")),
                (b"User-Agent", self.nasty().encode("latin-1", "replace")),
                (b"Accept-Language", self.nasty().encode("latin-1", "replace")),
            ]
            return request("GET", r.choice(self.paths).encode(), r.sample(headers, 2))
        if kind < 0.56:  # form posts in any charset, with a valid CSRF pair
            charset = r.choice(CHARSETS)
            content_type = "application/x-www-form-urlencoded" + (
                f"; charset={charset}" if charset else ""
            )
            return request(
                "POST",
                r.choice(FORM_PATHS + self.post_paths).encode(),
                [
                    (b"Content-Type", content_type.encode()),
                    (b"Cookie", self.csrf_cookie()),
                ],
                self.form_body(charset),
            )
        if kind < 0.64:  # multipart, with and without files, sometimes truncated
            body, boundary = self.multipart(with_file=r.random() < 0.6)
            content_type = f"multipart/form-data; boundary={boundary}"
            if r.random() < 0.1:
                content_type = "multipart/form-data"
            return request(
                "POST",
                r.choice(FORM_PATHS + self.post_paths).encode(),
                [
                    (b"Content-Type", content_type.encode()),
                    (b"Cookie", self.csrf_cookie()),
                ],
                body,
            )
        if kind < 0.67:  # oversized body
            return request(
                "POST",
                r.choice(FORM_PATHS).encode(),
                [(b"Content-Type", b"application/x-www-form-urlencoded"),
                 (b"Cookie", self.csrf_cookie())],
                b"message=" + b"x" * r.choice([70_000, 300_000]),
            )  # fmt: skip
        if kind < 0.70:  # odd content types and methods
            return request(
                r.choice(["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
                r.choice(self.paths).encode(),
                [(b"Content-Type", self.nasty().encode("latin-1", "replace"))],
                os.urandom(r.randrange(200)),
            )
        # admin lists as a superuser: bad filters, search, ordering, paging
        url, names = r.choice(self.admin_lists)
        return request(
            "GET",
            url.encode() + b"?" + self.query(names),
            [(b"Cookie", b"sessionid=" + self.session.encode())],
        )


def set_cookie(raw: bytes, name: str) -> str:
    match = re.search(rb"Set-Cookie: " + name.encode() + rb"=([^;]+)", raw)
    return match.group(1).decode() if match else ""


def fetch(raw: bytes) -> bytes:
    with socket.create_connection((HOST, PORT), timeout=30) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def sign_in():
    """(sessionid, (csrf cookie, form token)) for the superuser, signed in on
    the staff sign-in page (the admin's own login hands over to it)."""
    page = fetch(request("GET", b"/staff/login/"))
    cookie = set_cookie(page, "csrftoken")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = b"login=%s&password=%s&csrfmiddlewaretoken=%s" % (
        SUPERUSER[0].encode(),
        SUPERUSER[1].encode(),
        token,
    )
    answer = fetch(
        request(
            "POST",
            b"/staff/login/",
            [(b"Content-Type", b"application/x-www-form-urlencoded"),
             (b"Cookie", b"csrftoken=" + cookie.encode())],
            body,
        )
    )  # fmt: skip
    return set_cookie(answer, "sessionid"), (cookie, token.decode())


def admin_lists():
    """Every admin changelist URL with the parameter names its model offers."""
    code = (
        "import json; from django.contrib import admin;"
        "from django.urls import reverse;"
        "print(json.dumps([(reverse(f'admin:{m._meta.app_label}_{m._meta.model_name}"
        "_changelist'), ['q','o','p','all','e'] + [f.name + s for f in "
        "m._meta.concrete_fields for s in ('', '__gte', '__in', '__isnull', '__year',"
        " '__regex')]) for m in admin.site._registry]))"
    )
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_DIR, env=ENV, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    import json

    return json.loads(output.strip().splitlines()[-1])


def main():
    global PORT, ENV
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="clinic-fuzz-"))
    PORT = free_port()
    ENV = {
        **os.environ,
        "DJANGO_SECRET_KEY": "fuzz-only-" + "k" * 50,
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{PORT}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{workdir / 'fuzz.sqlite3'}",
        "GUNICORN_BIND": f"{HOST}:{PORT}",
        "LOG_LEVEL": "WARNING",
        # Let generated posts reach the views instead of the flood limits.
        "PUBLIC_FORM_RATE_LIMITS_ENABLED": "false",
        "PUBLIC_FORM_MIN_FILL_SECONDS": "0",
        # The superuser fuzzes the admin's lists; a second factor is tested
        # elsewhere and would keep it on the set-up page.
        "STAFF_MFA_REQUIRED": "false",
        "SPOOL_DIR": str(workdir / "spool"),
    }
    ENV.pop("DJANGO_DEBUG", None)
    manage = [sys.executable, "manage.py"]
    create_superuser = (
        "from django.contrib.auth.models import User;"
        f"User.objects.create_superuser({SUPERUSER[0]!r}, 'fuzz@example.com', "
        f"{SUPERUSER[1]!r})"
    )
    for command in (
        ["migrate", "--no-input"],
        ["load_demo_content"],
        ["collectstatic", "--no-input"],
        ["shell", "-c", create_superuser],
    ):
        subprocess.run(
            manage + command, cwd=PROJECT_DIR, env=ENV, check=True, capture_output=True
        )
    lists = admin_lists()
    access_log = workdir / "access.log"
    error_log = workdir / "error.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic_site.wsgi", "-c", "gunicorn.conf.py",
         "--access-logfile", str(access_log), "--error-logfile", str(error_log)],
        cwd=PROJECT_DIR, env=ENV, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(150):
            if send(request("GET", b"/healthz"), timeout=2) == "200":
                break
            time.sleep(0.2)
        blog = fetch(request("GET", b"/blog/")).decode("utf-8", "replace")
        posts = sorted(
            set(re.findall(r'href="(/blog/[a-z0-9-]+/)"', blog))
            - {"/blog/feed/", "/blog/topic/", "/blog/author/"}
        )[:3]
        session, csrf = sign_in()
        if not session:
            raise SystemExit("Could not sign in as the fuzz superuser")
        generator = Generator(args.seed, session, csrf, posts, lists)
        batch = [generator.next() for _ in range(args.requests)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            statuses = collections.Counter(pool.map(send, batch))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)

    print(
        f"{args.requests} requests, seed {args.seed}, {args.clients} clients, "
        f"{elapsed:.0f} s ({args.requests / elapsed:.0f} req/s)"
    )
    for status, count in sorted(statuses.items()):
        print(f"  {status:>24}  {count:6}")
    errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    log_text = access_log.read_bytes().decode("utf-8", "replace")
    raw_controls = len(re.findall("[\x00-\x09\x0b-\x1f\x7f-\x9f]", log_text))
    print(f"5xx: {errors}; raw control characters in the access log: {raw_controls}")
    sys.exit(1 if errors or raw_controls else 0)


if __name__ == "__main__":
    main()
