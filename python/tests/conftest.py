"""Shared fixtures of the binding's suite, its closing count line, and the leak check
of the sanitizer run (python.mk's python-test-san)."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nidus

ROOT = Path(os.environ.get("NIDUS_SRCDIR", Path(__file__).resolve().parents[2]))
GOLDEN = ROOT / "tests" / "golden"
CLI = os.environ.get("NIDUS_CLI", str(ROOT / "build" / "nidus"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: left out of the sanitizer run")


@pytest.fixture
def store_dir(tmp_path):
    """A path for a new store directory."""
    return tmp_path / "store"


@pytest.fixture
def db(store_dir):
    """A new file-backed store, dim 3 (cosine), closed after the test."""
    s = nidus.Store(store_dir, dim=3)
    yield s
    s.close()


@pytest.fixture
def golden_copy(tmp_path):
    """Copy a golden store directory (they are never opened in place for writing)."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(GOLDEN / name, dst)
        return dst

    return copy


def run_cli(*args, input=None, check=True):
    """The CLI's JSON output for args (its own leak check is off under ASan)."""
    env = dict(os.environ)
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    p = subprocess.run([CLI, *map(str, args)], input=input, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"nidus {' '.join(map(str, args))} failed: {p.stderr}")
    return json.loads(p.stdout) if p.stdout.strip() else None


def store_bytes(path: Path) -> dict:
    """Every file of a store directory and its bytes (the lock file aside)."""
    return {p.name: p.read_bytes() for p in sorted(Path(path).iterdir()) if p.is_file() and p.name != "lock"}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    name = os.environ.get("NIDUS_PY_SUITE")
    if not name:
        return
    st = terminalreporter.stats
    passed = len(st.get("passed", []))
    failed = len(st.get("failed", [])) + len(st.get("error", []))
    skipped = len(st.get("skipped", []))
    line = f"{name}: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    # The sanitizer run: everything the tests made is garbage now; what LeakSanitizer
    # finds unreachable while the interpreter still lives is a leak.
    if os.environ.get("NIDUS_PY_LEAKCHECK") == "1":
        import ctypes

        gc.collect()
        gc.collect()
        ctypes.CDLL(None).__lsan_do_recoverable_leak_check()
        sys.stderr.write("python-san: leak check done (python/tools/asan_leaks.py reads the report)\n")
