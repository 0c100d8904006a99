"""Serve with gunicorn, log in over HTTP, and load a page with wrk from loopback."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
LUA_SCRIPT = os.path.join(BENCH_DIR, "lua", "page.lua")
USER_AGENT = "xobito-bench"


def ensure_wrk():
    """Return the path of ``wrk``, installing the Debian package if it is missing."""
    path = shutil.which("wrk")
    if path:
        return path
    print("wrk is not installed; installing the Debian package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("could not install wrk")
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One gunicorn server (the settings of bench/gunicorn_bench.py) on a loopback port."""

    def __init__(self, app_spec, env, name, logdir):
        self.app_spec = app_spec
        self.env = env
        self.name = name
        self.port = free_port()
        self.logfile = os.path.join(logdir, f"gunicorn-{name}.log")
        self.process = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ, **self.env)
        env["PYTHONPATH"] = REPO_DIR + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            os.path.join(BENCH_DIR, "gunicorn_bench.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            self.app_spec,
        ]
        self._log = open(self.logfile, "w")
        self.process = subprocess.Popen(
            cmd, cwd=REPO_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn ({self.name}) exited; see {self.logfile}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as response:
                    response.read()
                return
            except urllib.error.HTTPError:
                return  # it answers (a redirect to the login page, a 404): it is up
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn ({self.name}) did not answer within {timeout} s; see {self.logfile}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            self._log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A tiny HTTP client with a cookie jar: log in, read a CSRF token, hand the cookie to wrk."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies, _NoRedirect())

    def request(self, path, data=None):
        """Return (status, headers, body text) without following redirects."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"User-Agent": USER_AGENT})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode(errors="replace")

    def csrf_token(self, path):
        status, _, html = self.request(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html
        )
        if not match:
            raise SystemExit(f"no CSRF token on {path} (status {status})")
        return match.group(1)

    def login(self, tenant, email, password):
        token = self.csrf_token(f"/{tenant}/login")
        status, headers, _ = self.request(
            f"/{tenant}/login", {"email": email, "password": password, "csrf_token": token}
        )
        if status not in (302, 303):
            raise SystemExit(f"login of {email} failed with status {status}")
        return self

    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def run_wrk(url, duration, connections, threads, method="GET", body="", cookie="", authorization=""):
    """Load ``url`` with wrk and return its summary (requests, latency, statuses …)."""
    env = dict(
        os.environ,
        BENCH_METHOD=method,
        BENCH_BODY=body,
        BENCH_COOKIE=cookie,
        BENCH_AUTHORIZATION=authorization,
        BENCH_USER_AGENT=USER_AGENT,
    )
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        LUA_SCRIPT,
        url,
    ]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed on {url}:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line[len("BENCH_JSON ") :])
    seconds = data["duration_us"] / 1e6
    data["rps"] = data["requests"] / seconds if seconds else 0.0
    data["statuses"] = {int(k): v for k, v in data["statuses"].items()}
    return data
