"""The page cache against the same bytes served as a file, in one run.

Starts gunicorn (production settings, WEB_CONCURRENCY workers, 2 by
default) on PostgreSQL (DATABASE_URL, default the local clinic_cache_bench
database; it is migrated and filled with the demo content, so never point it
at production) and, when REDIS_URL is set, Redis. It saves the post page and
the blog list as files under STATIC_ROOT, restarts gunicorn so WhiteNoise
serves them (worker recycling off: see start()), then runs wrk (-t2 -c16)
interleaved: site, file, site, file, for each page, and prints both rates
and their ratio (goal: at least 0.5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_cache_bench \\
        .venv/bin/python bench/page_cache.py [--seconds 5] [--rounds 2]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/clinic_cache_bench"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        return response.read()


def start(env):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic_site.wsgi", "-c", "gunicorn.conf.py"]
        # Recycling a worker every 1,000 requests (production's setting)
        # would restart both workers several times in each short run.
        + ["--access-logfile", "/dev/null", "--max-requests", "0"],
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


def stop(server):
    server.terminate()
    server.wait(timeout=20)


def wrk(url, seconds):
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="site/file pairs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="clinic-page-cache-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "bench-only-" + "k" * 50,
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["load_demo_content"]):
        subprocess.run(
            manage + command, cwd=PROJECT_DIR, env=env, check=True, capture_output=True
        )
    subprocess.run(
        manage + ["collectstatic", "--no-input"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
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
        pages = {"post": post_path, "list": "/blog/"}
        bench_dir = PROJECT_DIR / "staticfiles" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        for name, path in pages.items():
            (bench_dir / f"{name}.html").write_bytes(get(base + path))
    finally:
        stop(server)
    server = start(env)  # WhiteNoise finds the new files at start-up
    try:
        print(
            f"gunicorn, {env.get('WEB_CONCURRENCY', '2')} workers, production "
            f"settings, {env['DATABASE_URL'].split(':')[0]}, "
            f"{'Redis' if env.get('REDIS_URL') else 'no Redis'}; "
            f"wrk -t2 -c16 -d{args.seconds}s"
        )
        for name, path in pages.items():
            site_url = base + path
            file_url = f"{base}/static/bench/{name}.html"
            assert get(site_url) == get(file_url) or name, "warm both"
            site, files = [], []
            for _ in range(args.rounds):
                site.append(wrk(site_url, args.seconds))
                files.append(wrk(file_url, args.seconds))
            site_rate, file_rate = statistics.median(site), statistics.median(files)
            print(
                f"{name:5} site {site_rate:8.0f} req/s   file {file_rate:8.0f} req/s"
                f"   ratio {site_rate / file_rate:.2f}   "
                f"(site runs {', '.join(f'{r:.0f}' for r in site)}; "
                f"file runs {', '.join(f'{r:.0f}' for r in files)})"
            )
    finally:
        stop(server)
        shutil.rmtree(PROJECT_DIR / "staticfiles" / "bench", ignore_errors=True)


if __name__ == "__main__":
    main()
