"""Build the nidus extension against libnidus, linked statically.

`pip install --no-build-isolation ./python` (or `make python`) is all it takes: the
library comes from NIDUS_LIB when set (python.mk passes build/libnidus.a), else it is
built with the repository's own Makefile into build/pip/. Linking the static archive
means no LD_LIBRARY_PATH and no libnidus.so to install; its symbols stay inside the
extension (--exclude-libs), so another libnidus in the same process cannot clash.

NIDUS_PY_CFLAGS / NIDUS_PY_LDFLAGS add flags (python.mk uses them for -Werror and for
the sanitizer build).
"""

import glob
import os
import shlex
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def library() -> str:
    lib = os.environ.get("NIDUS_LIB")
    if lib:
        return os.path.abspath(lib)
    subprocess.check_call(["make", "-C", ROOT, "--no-print-directory", "BUILD=build/pip", "build/pip/libnidus.a"])
    return os.path.join(ROOT, "build", "pip", "libnidus.a")


LIB = library()

setup(
    name="nidus",
    version="0.4.0",
    description="An exact vector store, in process: the libnidus binding",
    packages=["nidus"],
    package_data={"nidus": ["py.typed", "*.pyi"]},
    python_requires=">=3.9",
    ext_modules=[
        Extension(
            "nidus._nidus",
            # Absolute, so debug info (and sanitizer stacks) name python/src/*.c.
            sources=sorted(glob.glob(os.path.join(HERE, "src", "*.c"))),
            depends=sorted(glob.glob(os.path.join(HERE, "src", "*.h"))) + [os.path.join(ROOT, "include", "nidus.h"), LIB],
            include_dirs=[os.path.join(ROOT, "include")],
            # Hidden: the module exports PyInit__nidus alone.
            extra_compile_args=["-std=c11", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-missing-field-initializers"]
            + shlex.split(os.environ.get("NIDUS_PY_CFLAGS", "")),
            extra_objects=[LIB],
            extra_link_args=["-pthread", "-Wl,--exclude-libs,ALL"]
            + shlex.split(os.environ.get("NIDUS_PY_LDFLAGS", "")),
            libraries=["m"],
        )
    ],
)
