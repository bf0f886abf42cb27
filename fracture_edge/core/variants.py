"""The export variant table, read from one TOML recipe per variant.

The CLI's flags, its argument checks, the exporter and the bench all read this table, so a
variant cannot be offered that the checks do not know. A recipe with an unknown key is refused
with the nearest valid key suggested.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import InputError, check_choice
from .files import regular_file

RECIPES_DIR = Path(__file__).with_name("recipes")
IO_DTYPES = ("float32", "uint8", "int8")
OPTIMIZATIONS = ("DEFAULT",)
#: Types a recipe may ask the converter to keep weights in (``tf.<name>``).
SUPPORTED_TYPES = ("float16", "int8")
#: The converter's integer activations: int8, or int16 with int8 weights (16x8, float I/O).
ACTIVATIONS = ("int8", "int16")


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    order: int = 100                  # position in listings, bench tables and --all
    optimizations: tuple[str, ...] = ()
    supported_types: tuple[str, ...] = ()
    calibrate: bool = False
    io_dtype: str = "float32"
    int8_only: bool = False
    activations: str = "int8"         # converter: int16 is 16x8 full-integer quantisation
    qat: bool = False                 # quantisation-aware fine-tune (tfmot quantize_model)
    prune_sparsity: float = 0.0       # prune_low_magnitude to this final sparsity, then strip
    fine_tune_epochs: int = 0         # epochs of the QAT / pruning fine-tune on the train split
    fine_tune_lr: float = 1e-4
    float_layers: tuple[str, ...] = ()   # layer-name regexes kept in float (convert.py: selective)

    @property
    def integer_io(self) -> bool:
        return self.io_dtype != "float32"

    @property
    def quantized(self) -> bool:
        """Whether any weight or activation leaves float32 (what ``--debug-quant`` reports on)."""
        return bool(self.optimizations or self.qat)

    @property
    def needs_fine_tune(self) -> bool:
        return self.qat or self.prune_sparsity > 0

    def with_sparsity(self, sparsity: float) -> "Variant":
        """The same recipe pruned to another target (``--prune 0.5``)."""
        if not self.prune_sparsity:
            raise InputError(f"variant {self.name} is not a pruning variant")
        return replace(self, prune_sparsity=sparsity)


#: What each recipe field's declared type accepts from TOML, and how a message names it. A
#: whole number is a fine float (``prune_sparsity = 0`` means 0.0); true is not a number.
FIELD_TYPES = {
    "str": ("a string", lambda v: isinstance(v, str)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "float": ("a finite number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "tuple[str, ...]": ("a list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
}
#: A variant's name becomes a folder inside the export folder: one plain, visible path component
#: (no separator, not empty, not ``.`` or ``..``, not hidden like a temporary folder).
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def load_recipe(path: str | os.PathLike) -> Variant:
    path = regular_file(path, "a recipe (.toml)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    known = {f.name: f.type for f in fields(Variant)}
    for key in raw:
        if key not in known:
            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else f"; valid keys: {', '.join(sorted(known))}"
            raise InputError(f"{path}: unknown recipe key '{key}'{hint}")
    for key in ("name", "description"):
        if key not in raw:
            raise InputError(f"{path}: recipe needs '{key}'")
    for key, value in raw.items():
        expected, accepts = FIELD_TYPES[known[key]]
        if not accepts(value):
            raise InputError(f"{path}: {key} must be {expected} (got {value!r})")
    if not NAME_PATTERN.fullmatch(raw["name"]):
        raise InputError(f"{path}: name {raw['name']!r} must be letters, digits, '-', '_' and '.', not starting "
                         "with '.' (it names the variant's folder inside the export folder)")
    check_choice(raw.get("io_dtype", "float32"), IO_DTYPES, "io_dtype", where=str(path))
    for key, valid in (("optimizations", OPTIMIZATIONS), ("supported_types", SUPPORTED_TYPES)):
        for value in raw.get(key, ()):
            check_choice(value, valid, f"{key} entry", where=str(path))
    check_choice(raw.get("activations", "int8"), ACTIVATIONS, "activations", where=str(path))
    for key in ("activations", "float_layers"):
        if raw.get(key) not in (None, "int8", []) and (raw.get("int8_only") or raw.get("io_dtype", "float32") != "float32"
                                                       or not raw.get("calibrate")):
            raise InputError(f"{path}: {key} needs calibrate = true, float32 I/O and no int8_only")
    for regex in raw.get("float_layers", ()):
        try:
            re.compile(regex)
        except re.error as exc:
            raise InputError(f"{path}: float_layers entry {regex!r} is not a regular expression ({exc})") from None
    if raw.get("io_dtype", "float32") != "float32" and not (raw.get("calibrate") or raw.get("qat")):
        raise InputError(f"{path}: integer I/O needs calibrate = true or qat = true")
    if not 0.0 <= raw.get("prune_sparsity", 0.0) < 1.0:
        raise InputError(f"{path}: prune_sparsity must lie in [0, 1)")
    if (raw.get("qat") or raw.get("prune_sparsity")) and raw.get("fine_tune_epochs", 0) < 1:
        raise InputError(f"{path}: QAT and pruning need fine_tune_epochs >= 1")
    if raw.get("fine_tune_epochs", 0) < 0 or raw.get("fine_tune_lr", 1e-4) <= 0:
        raise InputError(f"{path}: fine_tune_epochs must be >= 0 and fine_tune_lr > 0")
    for key in ("optimizations", "supported_types", "float_layers"):
        if key in raw:
            raw[key] = tuple(raw[key])
    return Variant(**raw)


def builtin_variants() -> dict[str, Variant]:
    """Every recipe shipped in ``recipes/`` (this package's ``recipes`` folder), by name."""
    found = sorted((load_recipe(f) for f in RECIPES_DIR.glob("*.toml")), key=lambda v: (v.order, v.name))
    return {v.name: v for v in found}


VARIANTS = builtin_variants()


def get_variant(name: str) -> Variant:
    return VARIANTS[check_choice(name, VARIANTS, "variant")]


def choose(names=(), recipes=(), float32=False, float16=False, dynamic=False, int8=False, qat=False,
           prune: float | None = None, all_variants=False) -> list[Variant]:
    """The variants the export flags ask for, in table order; float32 when none is named.

    ``--prune S`` picks the pruned recipe matching the other flags (pruned, pruned-int8,
    pruned-qat-int8) at sparsity S; ``--qat`` alone is qat-int8.
    """
    if all_variants:
        return list(VARIANTS.values())
    chosen = [get_variant(n) for n in names] + [load_recipe(r) for r in recipes]
    if prune is not None:
        if not 0.0 < prune < 1.0:
            raise InputError(f"--prune takes a sparsity between 0 and 1 (got {prune})")
        base = "pruned-qat-int8" if qat else "pruned-int8" if int8 else "pruned"
        chosen.append(get_variant(base).with_sparsity(prune))
        qat = int8 = False
    flags = {"float32": float32, "float16": float16, "dynamic": dynamic, "int8": int8, "qat-int8": qat}
    chosen += [get_variant(name) for name, on in flags.items() if on]
    return chosen or [get_variant("float32")]
