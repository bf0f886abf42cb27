"""The training recipe: :class:`TrainConfig`, its checks, and the preprocessing spec it implies.

Every option is checked here before any data is read or TensorFlow is loaded, so a bad value
costs the user a second, not a decode of the whole dataset. The command line's recipe options
become a config in :func:`config_from_options`, so the rules that tie options together (the
augmentation flags) live beside the fields they fill, not in the CLI.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..core.errors import InputError, check_choice
from ..core.spec import Canny, PreprocessSpec
from .augment import Augment
from .distribute import check_strategy
from .models import registry


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe. Defaults are the ones family cross-validation chose; each has a
    row in benchmarks/recipe that shows what it is worth. Fields left at ``None`` take the
    architecture's values (``models.registry``: input size, weights, epochs, dropout, stages),
    so ``TrainConfig(arch="efficientnet-lite0")`` is that architecture's measured recipe; a
    config made by :func:`dataclasses.replace` keeps the values it already has."""

    arch: str = "deepconvnet"
    img_size: int | None = None            # deepconvnet 96: family-CV AUC 0.686 vs 0.643 at 64 px
    epochs: int | None = None
    batch_size: int = 32
    learning_rate: float | None = None     # None: the architecture's stage rates
    seed: int = 0
    weights: str | None = None             # none, imagenet or a path; None: the architecture's
    patience: int = 6                      # epochs without a better windowed val AUC
    val_fraction: float = 0.15
    width: int = 16
    fusion: tuple[str, ...] | None = None   # None: the architecture's default channels
    canny_low: float = 50.0
    canny_high: float = 150.0
    # No augmentation (the decoded, resized images as they are) and per-file class weights. Family
    # CV: random crops alone with class weights beat the data-matched augmentation (Augment())
    # with per-family weights, 0.797 vs 0.686 per file, better in 4 of 5 folds (rows 96px-zoom-class
    # and 96px); without the crops it scored the same (-0.001 ± 0.030 per file, +0.007 ± 0.033 with
    # radiographs weighted equally, paired by fold; row 96px-zoom-class+noaug) in 35 % less time.
    # The data's own copies already come rotated, mirrored and re-exposed.
    augment: Augment | None = None
    balance: str | None = None             # loss weights, "class" or "family" (sample_weights); None: the architecture's
    schedule: str = "cosine"               # learning rate per stage: "cosine" decay or "constant"
    window: int = 3                        # average the weights of the best window of epochs
    dropout: float | None = None
    l2: float = 1e-4
    bn_momentum: float = 0.99              # deepconvnet's BatchNorm moving-average momentum
    # Targets 0.05 / 0.95: the no-augmentation model's raw outputs otherwise crowd 0 and 1 so
    # closely that its operating point (raw probability 0.001) lies below the int8 output step
    # (1/256) and the int8 model cannot honour it. Family CV: per file +0.048 ± 0.089 (4 of 5
    # folds), radiographs weighted equally -0.006 ± 0.023, int8 within 0.002 of float
    # (row 96px-zoom-class+noaug+smooth0.1).
    label_smoothing: float = 0.1
    dedup: bool = True                     # train on one copy of byte-identical images
    distill: float = 0.0                   # weight of the teacher's soft labels (0: hard labels)
    stages: tuple[str, ...] | None = None  # None: the architecture's stages (models.registry)
    strategy: str = "one"                  # tf.distribute: "one", "mirrored" or "multiworker" (TF_CONFIG)

    def __post_init__(self):
        row = registry.info(self.arch)
        for name, value in (*row.recipe, ("stages", row.stages)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)


BALANCES = ("family", "class")
SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class Range:
    """The interval a numeric recipe value must lie in (``None``: unbounded). NaN and the
    infinities lie in none: click parses ``nan`` and ``inf`` as floats, and a NaN compares
    false with every bound, so it would pass a plain comparison."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, v) -> bool:
        return (math.isfinite(v)
                and (self.low is None or (v > self.low if self.low_open else v >= self.low))
                and (self.high is None or (v < self.high if self.high_open else v <= self.high)))

    def __str__(self) -> str:
        if self.high is None:
            return f"must be {'above' if self.low_open else 'at least'} {self.low:g}"
        return (f"must lie in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.high_open else ']'}")


UNIT, POSITIVE, NON_NEGATIVE, COUNT = Range(0, 1, high_open=True), Range(0, low_open=True), Range(0), Range(1)

#: The range of every numeric field of :class:`TrainConfig` and :class:`~.augment.Augment`
#: (``img_size`` has the architecture registry's own check); a field without a row is not
#: a number. check_config refuses anything outside before any data is read.
RANGES = {
    "epochs": COUNT, "batch_size": COUNT, "learning_rate": POSITIVE, "seed": NON_NEGATIVE, "patience": COUNT,
    "val_fraction": Range(0, 1, True, True), "width": COUNT, "canny_low": NON_NEGATIVE, "canny_high": NON_NEGATIVE,
    "window": COUNT, "dropout": UNIT, "l2": NON_NEGATIVE, "bn_momentum": UNIT, "label_smoothing": UNIT,
    "distill": Range(0, 1),
    "max_rotation": Range(0, 180), "contrast": Range(0, 1), "brightness": Range(0, 255), "zoom": NON_NEGATIVE,
    "noise": NON_NEGATIVE,
}

#: Fields whose command-line option is not named after them.
_OPTION = {"learning_rate": "--lr", "max_rotation": "--rotation"}


def _check_ranges(obj) -> None:
    for name, value in asdict(obj).items():
        if name in RANGES and value is not None and value not in RANGES[name]:
            option = _OPTION.get(name, "--" + name.replace("_", "-"))
            rule = RANGES[name] if math.isfinite(value) else "must be a finite number"
            raise InputError(f"{option} {rule} (got {value})")


def check_config(cfg: TrainConfig, teachers=()) -> None:
    """Option checks that run before any data is read or TensorFlow is loaded. ``teachers``:
    the distillation teachers given with the recipe (train's and cv's ``--teacher``)."""
    registry.check_input_size(cfg.img_size)
    registry.check_stages(cfg.arch, cfg.stages)
    _check_ranges(cfg)
    if cfg.augment is not None:
        _check_ranges(cfg.augment)
    check_choice(cfg.balance, BALANCES, "--balance")
    check_choice(cfg.schedule, SCHEDULES, "--schedule")
    if bool(cfg.distill) != bool(teachers):
        raise InputError("--distill and --teacher CV_DIR go together")
    if cfg.weights == "imagenet" and not registry.info(cfg.arch).imagenet:
        raise InputError(f"{cfg.arch} has no ImageNet weights: use --weights none, or PATH to an encoder.h5 "
                         "from fracture-edge pretrain")
    if cfg.weights not in ("none", "imagenet") and not Path(cfg.weights).is_file():
        raise InputError(f"weights file not found: {cfg.weights} (use --weights none|imagenet|PATH)")
    check_strategy(cfg.strategy)


def default_spec(cfg: TrainConfig) -> PreprocessSpec:
    arch = registry.info(cfg.arch)
    fusion = tuple(cfg.fusion or arch.fusion)
    n = len(fusion)
    return PreprocessSpec(
        height=cfg.img_size, width=cfg.img_size,
        canny=Canny(cfg.canny_low, cfg.canny_high) if "edges" in fusion else None,
        fusion=fusion,
        mean=tuple(arch.mean[i % 3] for i in range(n)),
        std=tuple(arch.std[i % 3] for i in range(n)),
    )


_AUGMENT_KEYS = {"rotation": "max_rotation", "zoom": "zoom", "noise": "noise"}


def config_from_options(kw: dict) -> TrainConfig:
    """A TrainConfig from the recipe options given; the rest keep the recipe's defaults, which
    live in one place (:class:`TrainConfig`). ``--augment`` starts from the
    data-matched augmentation (:class:`~fracture_edge.training.augment.Augment`); ``--rotation`` and
    the like adjust it and so imply ``--augment``."""
    augment = kw.pop("augment", None)     # a flag here, an Augment in TrainConfig
    fields = {k: kw.pop(k) for k in list(kw) if k in TrainConfig.__dataclass_fields__ and kw[k] is not None}
    for key in ("fusion", "stages"):
        if fields.get(key):
            fields[key] = tuple(c.strip() for c in fields[key].split(",") if c.strip())
    cfg = TrainConfig(**fields)
    adjust = {_AUGMENT_KEYS[k]: kw.pop(k) for k in list(_AUGMENT_KEYS) if kw.get(k) is not None}
    if augment is False and adjust:
        raise InputError("--no-augment contradicts --rotation, --zoom and --noise (they adjust the augmentation)")
    if augment is False:
        return replace(cfg, augment=None)
    if augment or adjust:
        return replace(cfg, augment=replace(Augment(), **adjust))
    return cfg
