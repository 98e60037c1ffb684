"""nidus — an exact vector store, in process.

The C library libnidus, bound as a CPython extension: no server, no copy of the vectors
beyond what a call needs, and the GIL released while the library works. Method names and
argument shapes follow nidus's own HTTP SDK (``NidusClient``), so code written for a
``nidus serve`` runs in process by changing the constructor::

    import nidus
    from nidus import f

    with nidus.Store("/tmp/vectors", dim=3) as db:
        db.upsert("docs", [{"id": "a", "vector": [0.1, 0.2, 0.3], "attrs": {"lang": "rust"}}])
        hits = db.search(query=[0.1, 0.2, 0.3], top_k=5, filter=[f.eq("lang", "rust")])

numpy users have ``upsert_many(collection, ids, vectors)`` and ``search_batch(queries)``
over float32 arrays, and ``arrays=True`` for scores and rows as arrays.
"""

from __future__ import annotations

from ._nidus import (
    Aggregation,
    Footprint,
    Group,
    Hit,
    HitArrays,
    Record,
    Stats,
    batch_kernel_name,
    kernel_name,
    library_version,
    strerror,
)
from .errors import (
    BrokenError,
    CapacityError,
    CorruptError,
    DimensionError,
    InvalidArgumentError,
    LockedError,
    MisuseError,
    NidusError,
    NotFoundError,
    OutOfMemoryError,
    ReadOnlyError,
    StorageError,
    VersionError,
)
from .filter import Filter, Predicate, f
from .store import Store
from .values import AttrInput, DecodedValue, Value, decode_attrs, decode_value, encode_attrs, encode_value, v

__version__ = library_version()

#: For code written against the HTTP SDK: a Hits list.
Hits = list

__all__ = [
    "Aggregation", "AttrInput", "BrokenError", "CapacityError", "CorruptError", "DecodedValue",
    "DimensionError", "Filter", "Footprint", "Group", "Hit", "HitArrays", "Hits",
    "InvalidArgumentError", "LockedError", "MisuseError", "NidusError", "NotFoundError",
    "OutOfMemoryError", "Predicate", "ReadOnlyError", "Record", "Stats", "StorageError", "Store",
    "Value", "VersionError", "__version__", "batch_kernel_name", "decode_attrs", "decode_value",
    "encode_attrs", "encode_value", "f", "kernel_name", "library_version", "strerror", "v",
]
