"""The exceptions the in-process store raises: one class per family of result codes.

Every failure the library reports is a :class:`NidusError` carrying the library's result
code (``.code``, an ``int``; ``.code_name``, e.g. ``"NIDUS_EDIM"``) and its message, the
exception's ``str()``. Subclasses name the families callers branch on::

    try:
        store.upsert("docs", records)
    except nidus.DimensionError as err:     # NIDUS_EDIM
        ...
    except nidus.NidusError as err:         # anything else from the library
        print(err.code_name, err)

Mistakes the binding itself catches before calling the library (a wrong type in attrs,
a bare ``str`` for a list of ids, a float64 matrix) are ordinary ``TypeError`` /
``ValueError``, as nidus's HTTP SDK raises them.

For code written against the HTTP SDK, ``.status`` gives the HTTP status its server
would have answered for the same failure, with the SDK's ``is_*`` properties on top.
"""

from __future__ import annotations

#: Result code values, pinned by include/nidus.h.
OK, EINVAL, ENOMEM, EIO, ENOSPC, ECORRUPT, ENOTDB, EVERSION, EDIM, ELOCKED, EREADONLY, \
    ECAPACITY, ENOTFOUND, EMISUSE, EPERM, EBROKEN = range(16)

CODE_NAMES = {
    OK: "NIDUS_OK",
    EINVAL: "NIDUS_EINVAL",
    ENOMEM: "NIDUS_ENOMEM",
    EIO: "NIDUS_EIO",
    ENOSPC: "NIDUS_ENOSPC",
    ECORRUPT: "NIDUS_ECORRUPT",
    ENOTDB: "NIDUS_ENOTDB",
    EVERSION: "NIDUS_EVERSION",
    EDIM: "NIDUS_EDIM",
    ELOCKED: "NIDUS_ELOCKED",
    EREADONLY: "NIDUS_EREADONLY",
    ECAPACITY: "NIDUS_ECAPACITY",
    ENOTFOUND: "NIDUS_ENOTFOUND",
    EMISUSE: "NIDUS_EMISUSE",
    EPERM: "NIDUS_EPERM",
    EBROKEN: "NIDUS_EBROKEN",
}

# What `nidus serve` answers for each failure (its classify()): the SDK's `.status`.
_STATUS = {EINVAL: 400, EDIM: 400, EREADONLY: 403, ENOTFOUND: 404, ELOCKED: 409,
           ECAPACITY: 507, ENOMEM: 507}


class NidusError(Exception):
    """A failure reported by libnidus: ``.code`` is its result code, ``str()`` its message."""

    #: The library's message (also ``str(err)``).
    message: str
    #: The result code, one of the ``E*`` constants of this module.
    code: int

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code_name}, message={self.message!r})"

    def __reduce__(self):  # picklable across processes (multiprocessing)
        return (type(self), (self.message, self.code))

    @property
    def code_name(self) -> str:
        """The result code's C name, e.g. ``"NIDUS_ELOCKED"``."""
        return CODE_NAMES.get(self.code, f"NIDUS_E{self.code}")

    @property
    def status(self) -> int:
        """The HTTP status nidus's server gives this failure (400, 403, 404, 409, 507, 500)."""
        return _STATUS.get(self.code, 500)

    @property
    def is_transport_error(self) -> bool:
        """Always ``False`` in-process: there is no transport (the SDK's status-0 case)."""
        return False

    @property
    def is_bad_request(self) -> bool:
        return self.status == 400

    @property
    def is_read_only(self) -> bool:
        return self.code == EREADONLY

    @property
    def is_locked(self) -> bool:
        return self.code == ELOCKED

    @property
    def is_out_of_capacity(self) -> bool:
        return self.code in (ECAPACITY, ENOMEM)


class InvalidArgumentError(NidusError, ValueError):
    """NIDUS_EINVAL: the library refused an argument (a non-finite vector, a bad filter)."""


class DimensionError(NidusError, ValueError):
    """NIDUS_EDIM: a vector's length (or an open's dimension or distance) differs from the store's."""


class LockedError(NidusError):
    """NIDUS_ELOCKED: another writer holds the store; open it with ``read_only=True``."""


class ReadOnlyError(NidusError):
    """NIDUS_EREADONLY: a write on a store opened read-only."""


class CorruptError(NidusError):
    """NIDUS_ECORRUPT or NIDUS_ENOTDB: the files are damaged or not a nidus store."""


class VersionError(NidusError):
    """NIDUS_EVERSION: a store format this library does not read (a newer nidus)."""


class CapacityError(NidusError):
    """NIDUS_ECAPACITY: ``max_vector_bytes`` would be exceeded."""


class OutOfMemoryError(NidusError, MemoryError):
    """NIDUS_ENOMEM: the library ran out of memory; the store is unchanged."""


class StorageError(NidusError):
    """NIDUS_EIO, NIDUS_ENOSPC or NIDUS_EPERM: the file system failed or refused."""


class NotFoundError(NidusError):
    """NIDUS_ENOTFOUND: e.g. a read-only open of a store that does not exist."""


class MisuseError(NidusError):
    """NIDUS_EMISUSE: the handle cannot be used (a closed store)."""


class BrokenError(NidusError):
    """NIDUS_EBROKEN: a rollback failed; the handle is unusable, reopen the store."""


_BY_CODE = {
    EINVAL: InvalidArgumentError,
    ENOMEM: OutOfMemoryError,
    EIO: StorageError,
    ENOSPC: StorageError,
    ECORRUPT: CorruptError,
    ENOTDB: CorruptError,
    EVERSION: VersionError,
    EDIM: DimensionError,
    ELOCKED: LockedError,
    EREADONLY: ReadOnlyError,
    ECAPACITY: CapacityError,
    ENOTFOUND: NotFoundError,
    EMISUSE: MisuseError,
    EPERM: StorageError,
    EBROKEN: BrokenError,
}


def error_class(code: int) -> type[NidusError]:
    """The exception class for a result code (``NidusError`` for an unknown one)."""
    return _BY_CODE.get(code, NidusError)


__all__ = [
    "NidusError", "InvalidArgumentError", "DimensionError", "LockedError", "ReadOnlyError",
    "CorruptError", "VersionError", "CapacityError", "OutOfMemoryError", "StorageError",
    "NotFoundError", "MisuseError", "BrokenError", "error_class", "CODE_NAMES",
]
