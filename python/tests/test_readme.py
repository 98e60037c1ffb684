"""The README's Python example runs as pasted and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example(tmp_path):
    pytest.importorskip("numpy")
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert "/tmp/docs-store" in code
    code = code.replace("/tmp/docs-store", str(tmp_path / "docs-store"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    lines = out.getvalue().splitlines()
    assert re.match(r"intro 0\.99\d* \{'lang': 'en', 'year': 2024\}$", lines[0]), lines
    assert lines[1].startswith("(32, 10) int64 ['v0', "), lines
    assert len(lines) == 2
