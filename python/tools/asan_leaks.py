"""Read the LeakSanitizer reports of python-test-san and judge the extension's leaks.

Usage: asan_leaks.py [--expect-canary BYTES] LOGDIR

Every `asan.<pid>` file in LOGDIR is read. Any AddressSanitizer error other than a
leak report fails. A leak report ("Direct leak of N byte(s) ...") whose allocation
stack has a frame in the extension's sources (python/src/, where every libnidus call
of the binding is made) is the extension's: any such leak fails. Other leaks are
CPython's own (interned objects, caches kept alive through untracked pointers) and
are only counted. With --expect-canary N the run must instead find exactly the one
leak of N bytes that nidus._nidus._leak_canary made: the check can see a leak.
"""

from __future__ import annotations

import pathlib
import re
import sys

LEAK = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:$")
OURS = re.compile(r"python/src/[a-z_]+\.c:\d+")


def reports(logdir: pathlib.Path):
    errors, leaks = [], []
    for log in sorted(logdir.glob("asan.*")):
        text = log.read_text(errors="replace")
        if re.search(r"ERROR: AddressSanitizer: (?!.*leak)", text) or "runtime error:" in text:
            errors.append((log.name, text))
        block = None
        for line in text.splitlines():
            m = LEAK.match(line.strip())
            if m:
                block = {"kind": m.group(1), "bytes": int(m.group(2)), "stack": [], "file": log.name}
                leaks.append(block)
            elif block is not None and line.strip().startswith("#"):
                block["stack"].append(line.strip())
            elif block is not None and not line.strip():
                block = None
    return errors, leaks


def main() -> int:
    args = sys.argv[1:]
    canary = None
    if args[:1] == ["--expect-canary"]:
        canary, args = int(args[1]), args[2:]
    errors, leaks = reports(pathlib.Path(args[0]))
    ours = [b for b in leaks if any(OURS.search(f) for f in b["stack"])]
    for name, text in errors:
        print(f"asan-leaks: sanitizer error in {name}:\n{text}")
    if canary is not None:
        ok = not errors and len(ours) == 1 and ours[0]["bytes"] == canary and \
            any("mod_leak_canary" in f for f in ours[0]["stack"])
        print(f"asan-leaks: canary {'seen' if ok else 'NOT seen'} ({len(ours)} extension leak(s), "
              f"{len(leaks) - len(ours)} other)")
        return 0 if ok else 1
    for b in ours:
        print(f"asan-leaks: {b['kind']} leak of {b['bytes']} bytes in the extension ({b['file']}):")
        print("    " + "\n    ".join(b["stack"][:12]))
    other = sum(b["bytes"] for b in leaks if b not in ours)
    print(f"asan-leaks: {len(ours)} leak(s) in the extension; {len(leaks) - len(ours)} report(s) of CPython's "
          f"own ({other} bytes), not counted")
    return 1 if ours or errors else 0


if __name__ == "__main__":
    sys.exit(main())
