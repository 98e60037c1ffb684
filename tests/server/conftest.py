"""Black-box harness for `nidus serve`: starts the real binary on port 0, parses the
startup banner for the bound port, and talks to it with urllib only.

The binary is $NIDUS (default build/nidus of the checkout)."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NIDUS = os.environ.get("NIDUS") or os.path.join(ROOT, "build", "nidus")
BANNER = re.compile(
    r"^nidus serving on http://(127\.0\.0\.1|\[::1\]|[0-9.]+):(\d+) \(Ctrl-C / SIGTERM to stop\)"
    r"( \(bearer-token auth required\))?$"
)


class Server:
    def __init__(self, directory, *args, dim=3, token=None, read_only=False):
        cmd = [NIDUS, "serve", "--dir", str(directory), "--addr", "127.0.0.1:0"]
        if dim and not read_only:
            cmd += ["--dim", str(dim)]
        if token:
            cmd += ["--token", token]
        if read_only:
            cmd += ["--read-only"]
        cmd += [str(a) for a in args]
        self.token = token
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, env={k: v for k, v in os.environ.items()
                                                     if not k.startswith("NIDUS_")})
        self.banner = self._read_banner()
        m = BANNER.match(self.banner)
        assert m, f"unexpected banner: {self.banner!r}"
        self.port = int(m.group(2))
        self.base = f"http://127.0.0.1:{self.port}"
        self.stderr_rest = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _read_banner(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                rc = self.proc.wait(timeout=10)
                raise RuntimeError(f"nidus serve exited ({rc}) before its banner")
            if line.startswith("nidus serving on"):
                return line.rstrip("\n")
        raise RuntimeError("no banner")

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr_rest.append(line)

    def request(self, method, path, body=None, headers=None, raw=None, auth=True):
        """(status, headers, parsed body or text)."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if auth and self.token and "Authorization" not in h:
            h["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, hdrs, text = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, e.headers, e.read().decode()
        ctype = hdrs.get("Content-Type", "")
        out = json.loads(text) if ctype.startswith("application/json") else text
        return status, hdrs, out

    def get(self, path, **kw):
        s, _, b = self.request("GET", path, **kw)
        return s, b

    def post(self, path, body=None, **kw):
        s, _, b = self.request("POST", path, body if body is not None else {}, **kw)
        return s, b

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def serve():
    started = []

    def start(directory, *args, **kw):
        s = Server(directory, *args, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def cli(directory, *args, stdin=None):
    """Run the CLI (read-only commands beside a server); its JSON output."""
    r = subprocess.run([NIDUS, *[str(a) for a in args], "--dir", str(directory)], input=stdin,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def pytest_terminal_summary(terminalreporter):
    """The closing line `make test` sums ("server-test: N passed, N failed")."""
    st = terminalreporter.stats
    passed = len(st.get("passed", []))
    failed = len(st.get("failed", [])) + len(st.get("error", []))
    terminalreporter.write_line(f"server-test: {passed} passed, {failed} failed")
