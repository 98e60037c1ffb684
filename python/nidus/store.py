"""nidus.Store: the C type, plus the SDK's batch_search written over it."""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from . import _nidus

MAX_BATCH_QUERIES = 16  # nidus 0.80's /search/batch bound
MAX_TOP_K = 10_000


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


class Store(_nidus.Store):
    __slots__ = ()
    __doc__ = _nidus.Store.__doc__
    __module__ = "nidus"

    def batch_search(
        self,
        queries: Sequence[Mapping[str, Any]],
        *,
        fuse: bool = False,
        rrf_k: Optional[float] = None,
        weights: Optional[Sequence[float]] = None,
        top_k: Optional[int] = None,
    ) -> list:
        """Several searches in one call, as nidus's HTTP SDK spells it.

        Each entry of ``queries`` holds :meth:`search`'s keyword arguments (``query``,
        ``scope``, ``top_k``, ``filter``, ...); at most 16, every entry checked before any
        runs. Returns one list of hits per query. When every entry shares the same options
        but the query, the legs run as one :meth:`search_batch` (one pass over the rows,
        one snapshot); otherwise one search each.

        ``fuse=True`` merges the legs by Reciprocal Rank Fusion as nidus does: a record
        scores ``sum(w_i / (rrf_k + rank_i + 1))`` (float32) over the legs returning it,
        ties by (collection, id), attrs from the first leg; the answer is a one-element
        list holding the ``top_k`` (default 10) fused hits. ``weights`` (one per query,
        finite, >= 0) and ``rrf_k`` (default 60) as the SDK's.
        """
        if isinstance(queries, (Mapping, str, bytes)) or not isinstance(queries, Sequence):
            raise TypeError("batch_search expects a list of search() keyword dicts")
        legs = [dict(q) for q in queries]
        if not legs:
            raise ValueError("queries must not be empty")
        if len(legs) > MAX_BATCH_QUERIES:
            raise ValueError(f"{len(legs)} queries exceeds the maximum batch of {MAX_BATCH_QUERIES}")
        for q in legs:
            if "query" not in q:
                raise TypeError("every batch_search entry needs a 'query'")
            if q.get("rerank") is not None:
                raise ValueError("rerank is not supported on batch queries")
            q.pop("rerank", None)
            if "arrays" in q:
                raise TypeError("batch_search entries take search() options, not arrays=")
        if fuse:
            rrf_k = 60.0 if rrf_k is None else rrf_k
            top_k = 10 if top_k is None else top_k
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
                raise ValueError(f"fuse top_k must be a non-negative int, got {top_k!r}")
            if top_k > MAX_TOP_K:
                raise ValueError(f"fuse.top_k {top_k} exceeds the maximum of {MAX_TOP_K}")
            ws = list(weights or [])
            if ws and len(ws) != len(legs):
                raise ValueError(f"fuse.weights has {len(ws)} entries but there are {len(legs)} queries")
            for w in ws:
                if not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
                    raise ValueError(f"fuse.weights must be finite and non-negative, got {w!r}")
            if not isinstance(rrf_k, (int, float)) or not math.isfinite(rrf_k) or rrf_k < 0:
                raise ValueError(f"fuse.rrf_k must be finite and non-negative, got {rrf_k!r}")
        results = self._legs(legs)
        if not fuse:
            return results
        return [_rrf(results, [float(w) for w in ws] or [1.0] * len(results), _f32(float(rrf_k)))[:top_k]]

    def _legs(self, legs: list) -> list:
        rest = [{k: x for k, x in q.items() if k != "query"} for q in legs]
        if len(legs) > 1 and all(r == rest[0] for r in rest) and "exact" not in rest[0]:
            try:
                import numpy as np
            except ImportError:
                np = None
            if np is not None:
                try:
                    qs = np.array([np.asarray(q["query"], dtype=np.float64) for q in legs], dtype=np.float32)
                except (TypeError, ValueError):
                    qs = None
                if qs is not None and qs.ndim == 2:
                    return self.search_batch(qs, **rest[0])
        return [self.search(**q) for q in legs]


def _rrf(legs: list, weights: list, rrf_k: float) -> list:
    fused: dict = {}
    for w, hits in zip(weights, legs):
        w = _f32(w)
        for rank, h in enumerate(hits):
            key = (h.collection, h.id)
            contrib = _f32(w * _f32(1.0 / _f32(_f32(rrf_k + _f32(float(rank))) + 1.0)))
            if key in fused:
                fused[key][0] = _f32(fused[key][0] + contrib)
            else:
                fused[key] = [_f32(0.0 + contrib), h]
    order = sorted(fused.items(), key=lambda kv: (-kv[1][0], kv[0][0].encode(), kv[0][1].encode()))
    return [_nidus.Hit((c, i, score, first.attrs, first.row)) for (c, i), (score, first) in order]
