"""Throughput and latency of the public pages under production settings.

Runs gunicorn on loopback against a fresh SQLite database filled with the
demo content (or DATABASE_URL, if set), sends a fixed number of requests per
page from a few threads, and prints requests per second and latencies.

    .venv/bin/python bench/public_pages.py [--requests 300] [--clients 4]
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed_get(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "bench-only-" + "k" * 50,
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--no-input"],
        ["load_demo_content"],
        ["collectstatic", "--no-input"],
    ):
        subprocess.run(
            manage + command, cwd=PROJECT_DIR, env=env, check=True, capture_output=True
        )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic_site.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=PROJECT_DIR,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                timed_get(base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        blog_list = urllib.request.urlopen(base + "/blog/").read().decode()
        post_path = next(
            path
            for path in re.findall(r'href="(/blog/[a-z0-9-]+/)"', blog_list)
            if not path.startswith(("/blog/feed/", "/blog/topic/", "/blog/author/"))
        )
        pages = {
            "home": "/",
            "blog list": "/blog/",
            "a post": post_path,
            "health": "/healthz",
        }
        print(
            f"{args.requests} requests per page, {args.clients} clients, "
            f"{env.get('WEB_CONCURRENCY', '2')} gunicorn workers"
        )
        for name, path in pages.items():
            timed_get(base + path)
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                latencies = list(pool.map(timed_get, [base + path] * args.requests))
            elapsed = time.perf_counter() - started
            latencies.sort()
            print(
                f"{name:10} {path:45} {args.requests / elapsed:7.1f} req/s   "
                f"p50 {statistics.median(latencies) * 1000:6.1f} ms   "
                f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:6.1f} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
