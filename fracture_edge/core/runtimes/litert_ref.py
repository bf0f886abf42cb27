"""LiteRT with its reference kernels (no XNNPACK): the baseline that shows what XNNPACK buys.

Reference kernels are the portable, unoptimised implementations every LiteRT build carries; a
variant that is slow here but fast on ``litert`` owes its speed to XNNPACK's int8/float paths.
"""

from __future__ import annotations

from pathlib import Path

from ai_edge_litert.interpreter import OpResolverType

from . import litert


class Session(litert.Session):
    def __init__(self, model: Path, threads: int = 2):
        super().__init__(model, threads, op_resolver=OpResolverType.BUILTIN_REF)
