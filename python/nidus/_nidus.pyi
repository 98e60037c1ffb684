"""Type stubs of the C extension nidus._nidus (re-exported by the nidus package)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Optional, Union, final

from .filter import Filter, Predicate
from .values import AttrInput, DecodedValue

_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
_Vector = Union[Sequence[float], Any]  # a sequence of numbers or a 1-D float32/float64 buffer
_Matrix = Any  # a 2-D float32 buffer, e.g. numpy.ndarray of shape (n, d), dtype float32
_FilterArg = Optional[Union[Filter, Predicate]]

HEADER_VERSION: str

def library_version() -> str: ...
def kernel_name() -> str: ...
def batch_kernel_name() -> str: ...
def strerror(code: int, /) -> str: ...

@final
class Hit(tuple[str, str, float, dict[str, DecodedValue]]):
    """One search result; a 4-tuple (collection, id, score, attrs) with named fields."""
    @property
    def collection(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def attrs(self) -> dict[str, DecodedValue]: ...
    @property
    def row(self) -> Optional[int]:
        """The data row; None for list() results."""

@final
class Record(tuple[str, Any, dict[str, DecodedValue]]):
    """A stored record; a 3-tuple (id, vector, attrs) with named fields."""
    @property
    def id(self) -> str: ...
    @property
    def vector(self) -> Any:
        """list[float], or a float32 numpy array with numpy=True."""
    @property
    def attrs(self) -> dict[str, DecodedValue]: ...
    @property
    def collection(self) -> str: ...

@final
class Footprint(tuple[int, int, int, int, int, int]):
    @property
    def rows(self) -> int: ...
    @property
    def dead_rows(self) -> int: ...
    @property
    def dimension(self) -> int: ...
    @property
    def vector_bytes(self) -> int: ...
    @property
    def doc_count(self) -> int: ...
    @property
    def filter_index_bytes(self) -> int: ...
    @property
    def index_bytes(self) -> int: ...
    @property
    def shadow_bytes(self) -> int: ...
    @property
    def mapped_bytes(self) -> int: ...

@final
class Stats(tuple[int, str, None, list[str], Footprint]):
    @property
    def dimension(self) -> int: ...
    @property
    def distance(self) -> str: ...
    @property
    def ann(self) -> None: ...
    @property
    def collections(self) -> list[str]: ...
    @property
    def footprint(self) -> Footprint: ...

@final
class HitArrays(tuple[Any, Any, list[Any], list[Any]]):
    """Results as numpy arrays: scores (float32) and rows (int64), (k,) or (q, k)."""
    @property
    def scores(self) -> Any: ...
    @property
    def rows(self) -> Any: ...
    @property
    def ids(self) -> list[Any]: ...
    @property
    def collections(self) -> list[Any]: ...

@final
class Group(tuple[Optional[DecodedValue], int, dict[str, Union[int, float]]]):
    @property
    def value(self) -> Optional[DecodedValue]: ...
    @property
    def count(self) -> int: ...
    @property
    def sums(self) -> dict[str, Union[int, float]]: ...
    @property
    def missing(self) -> bool: ...

@final
class Aggregation(tuple[int, dict[str, Union[int, float]], list[Group], bool]):
    @property
    def count(self) -> int: ...
    @property
    def sums(self) -> dict[str, Union[int, float]]: ...
    @property
    def groups(self) -> list[Group]: ...
    @property
    def groups_truncated(self) -> bool: ...

class Store:
    """An exact vector store, in process."""

    def __init__(
        self,
        path: _Path,
        dim: Optional[int] = None,
        read_only: bool = False,
        fsync: Optional[Union[str, bool]] = None,
        distance: Optional[str] = None,
        auto_compact: Optional[Union[float, bool]] = None,
        max_vector_bytes: Optional[int] = None,
        *,
        shadow: bool = True,
        map_rows: bool = True,
    ) -> None: ...
    @classmethod
    def memory(cls, dim: int, distance: Optional[str] = None, max_vector_bytes: Optional[int] = None) -> Store: ...
    def close(self) -> None: ...
    def __enter__(self) -> Store: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def dimension(self) -> int: ...
    @property
    def distance(self) -> str: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def in_memory(self) -> bool: ...

    def stats(self) -> Stats: ...
    def collections(self) -> list[str]: ...
    def create_collection(self, name: str) -> None: ...
    def drop_collection(self, name: str) -> None: ...
    def has_collection(self, name: str) -> bool: ...
    def get_meta(self, name: str) -> dict[str, str]: ...
    def set_meta(self, name: str, meta: Mapping[str, Any]) -> None: ...
    def set_filter_index(self, name: str, fields: Sequence[Union[str, Mapping[str, Any]]]) -> None: ...
    def get_filter_index(self, name: str) -> list[str]: ...

    # The methods below also take the collection as name=..., the SDK's spelling.

    def upsert(self, collection: str, records: Sequence[Mapping[str, Any]]) -> int: ...
    def upsert_many(
        self,
        collection: str,
        ids: Sequence[str],
        vectors: _Matrix,
        attrs: Optional[Sequence[Optional[Mapping[str, AttrInput]]]] = None,
        *,
        normalized: bool = False,
    ) -> int: ...
    def delete(self, collection: str, ids: Sequence[str]) -> int: ...
    def delete_where(self, collection: str, filter: Union[Filter, Predicate]) -> int: ...
    def flush(self) -> None: ...
    def compact(self) -> None: ...

    def records(self, collection: str, *, numpy: bool = False) -> list[Record]: ...
    def get(self, collection: str, ids: Sequence[str], *, numpy: bool = False) -> list[Record]: ...
    def search(
        self,
        *,
        query: _Vector,
        scope: Optional[Sequence[str]] = None,
        top_k: Optional[int] = None,
        offset: Optional[int] = None,
        min_score: Optional[float] = None,
        filter: _FilterArg = None,
        exact: Optional[bool] = None,
        include_attributes: Optional[Sequence[str]] = None,
        exclude_attributes: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        arrays: bool = False,
    ) -> Any:
        """list[Hit], or HitArrays with arrays=True."""
    def search_batch(
        self,
        queries: _Matrix,
        *,
        scope: Optional[Sequence[str]] = None,
        top_k: Optional[int] = None,
        offset: Optional[int] = None,
        min_score: Optional[float] = None,
        filter: _FilterArg = None,
        include_attributes: Optional[Sequence[str]] = None,
        exclude_attributes: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        arrays: bool = False,
    ) -> Any:
        """list[list[Hit]], or HitArrays with arrays=True."""
    def search_similar(
        self,
        *,
        collection: str,
        id: str,
        scope: Optional[Sequence[str]] = None,
        top_k: Optional[int] = None,
        offset: Optional[int] = None,
        min_score: Optional[float] = None,
        filter: _FilterArg = None,
        exact: Optional[bool] = None,
        include_attributes: Optional[Sequence[str]] = None,
        exclude_attributes: Optional[Sequence[str]] = None,
        threads: Optional[int] = None,
        arrays: bool = False,
    ) -> Any:
        """list[Hit] like collection/id's stored vector, the record itself left out."""
    def list(
        self,
        *,
        scope: Optional[Sequence[str]] = None,
        offset: Optional[int] = None,
        limit: Optional[int] = None,
        filter: _FilterArg = None,
        include_attributes: Optional[Sequence[str]] = None,
        exclude_attributes: Optional[Sequence[str]] = None,
        order_by: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """list[Hit] (score 0.0, row None), paged; order_by={"field": str, "descending": bool}."""
    def aggregate(
        self,
        *,
        scope: Optional[Sequence[str]] = None,
        filter: _FilterArg = None,
        sum: Optional[Sequence[str]] = None,
        group_by: Optional[str] = None,
        max_groups: Optional[int] = None,
    ) -> Aggregation: ...
