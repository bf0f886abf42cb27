"""The export variant table, read from one TOML recipe per variant.

The CLI's flags, its argument checks, the exporter and the bench all read this table, so a
variant cannot be offered that the checks do not know. A recipe with an unknown key is refused
with the nearest valid key suggested.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import InputError

RECIPES_DIR = Path(__file__).with_name("recipes")
IO_DTYPES = ("float32", "uint8", "int8")
OPTIMIZATIONS = ("DEFAULT",)


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    optimizations: tuple[str, ...] = ()
    supported_types: tuple[str, ...] = ()
    calibrate: bool = False
    io_dtype: str = "float32"
    int8_only: bool = False

    @property
    def integer_io(self) -> bool:
        return self.io_dtype != "float32"


def load_recipe(path: str | os.PathLike) -> Variant:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"recipe not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    known = {f.name for f in fields(Variant)}
    for key in raw:
        if key not in known:
            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; valid keys: {', '.join(sorted(known))}"
            raise InputError(f"{path}: unknown recipe key '{key}'{hint}")
    for key in ("name", "description"):
        if key not in raw:
            raise InputError(f"{path}: recipe needs '{key}'")
    if raw.get("io_dtype", "float32") not in IO_DTYPES:
        raise InputError(f"{path}: io_dtype must be one of {', '.join(IO_DTYPES)}")
    bad = set(raw.get("optimizations", ())) - set(OPTIMIZATIONS)
    if bad:
        raise InputError(f"{path}: unknown optimization {', '.join(sorted(bad))} (valid: {', '.join(OPTIMIZATIONS)})")
    if raw.get("io_dtype", "float32") != "float32" and not raw.get("calibrate"):
        raise InputError(f"{path}: integer I/O needs calibrate = true")
    for key in ("optimizations", "supported_types"):
        if key in raw:
            raw[key] = tuple(raw[key])
    return Variant(**raw)


def builtin_variants() -> dict[str, Variant]:
    """Every recipe shipped in ``export/`` (this package's ``recipes`` folder), by name."""
    table = {}
    for f in sorted(RECIPES_DIR.glob("*.toml")):
        v = load_recipe(f)
        table[v.name] = v
    return table


VARIANTS = builtin_variants()


def get_variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise InputError(f"unknown variant '{name}': valid variants are {', '.join(VARIANTS)}")
    return VARIANTS[name]
