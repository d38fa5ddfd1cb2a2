"""Lighthouse mobile on a post and the blog list: performance and page weight.

Starts gunicorn with production settings (DEBUG off, collectstatic with
WhiteNoise's compressed manifest storage) on a throw-away SQLite database
filled with the demo content, then runs Lighthouse's default (mobile)
audit on a post page and on /blog/ and prints the performance score and
the total byte weight (what the browser downloaded, compressed). Goal:
performance 100 and at most 60 KB on both pages.

Lighthouse is not a project dependency. Install it once outside the
repository and point LIGHTHOUSE_DIR at it (default /tmp/lh); Chromium comes
from CHROME_PATH (default /usr/bin/chromium, Debian's ``chromium``):

    mkdir -p /tmp/lh && (cd /tmp/lh && npm i lighthouse)
    .venv/bin/python bench/lighthouse.py [--runs 1]
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# What the performance score is made of, listed by --details.
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def start(env):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic_site.wsgi", "-c", "gunicorn.conf.py"]
        + ["--access-logfile", "/dev/null"],
        cwd=PROJECT_DIR,
        env=env,
    )
    base = f"http://{env['GUNICORN_BIND']}"
    for _ in range(150):
        try:
            get(base + "/healthz")
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def lighthouse(url, lighthouse_dir, chrome_path, workdir, details):
    report = workdir / "report.json"
    subprocess.run(
        ["npx", "--no-install", "lighthouse", url]
        + ["--only-categories=performance", "--output=json"]
        + [f"--output-path={report}", "--quiet"]
        + ["--chrome-flags=--headless=new --no-sandbox"],
        cwd=lighthouse_dir,
        env={**os.environ, "CHROME_PATH": chrome_path},
        check=True,
    )
    data = json.loads(report.read_text())
    score = round(data["categories"]["performance"]["score"] * 100)
    if details:
        for audit in METRICS:
            result = data["audits"][audit]
            print(f"      {audit}: {result['displayValue']} (score {result['score']})")
    weight = data["audits"]["total-byte-weight"]
    if details:
        for item in weight["details"]["items"]:
            print(f"      {item['totalBytes'] / 1024:6.1f} KB  {item['url']}")
    return score, weight["numericValue"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="per page; worst shown")
    parser.add_argument(
        "--details", action="store_true", help="list each download and its size"
    )
    args = parser.parse_args()
    lighthouse_dir = os.environ.get("LIGHTHOUSE_DIR", "/tmp/lh")
    chrome_path = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if (
        not shutil.which("npx")
        or not (Path(lighthouse_dir) / "node_modules" / ".bin" / "lighthouse").exists()
    ):
        raise SystemExit(
            f"Lighthouse is needed in {lighthouse_dir}: "
            f"mkdir -p {lighthouse_dir} && (cd {lighthouse_dir} && npm i lighthouse)"
        )

    workdir = Path(tempfile.mkdtemp(prefix="clinic-lighthouse-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "bench-only-" + "k" * 50,
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--no-input"],
        ["load_demo_content"],
        ["collectstatic", "--no-input"],
    ):
        subprocess.run(
            manage + command, cwd=PROJECT_DIR, env=env, check=True, capture_output=True
        )
    base = f"http://127.0.0.1:{port}"
    server = start(env)
    try:
        blog_list = get(base + "/blog/").decode()
        post_path = next(
            path
            for path in re.findall(r'href="(/blog/[a-z0-9-]+/)"', blog_list)
            if not path.startswith(("/blog/feed/", "/blog/topic/", "/blog/author/"))
        )
        print("Lighthouse mobile (default), gunicorn, production settings, SQLite")
        for name, path in {"post": post_path, "list": "/blog/"}.items():
            results = [
                lighthouse(
                    base + path, lighthouse_dir, chrome_path, workdir, args.details
                )
                for _ in range(args.runs)
            ]
            score = min(score for score, _ in results)
            weight = max(weight for _, weight in results)
            print(
                f"{name:5} {path:45} performance {score:3}"
                f" (runs {', '.join(str(s) for s, _ in results)})   "
                f"total byte weight {weight / 1024:6.1f} KB"
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
