"""A training run folder as export reads it: the Keras model, the spec and the split."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ...core.data.folders import load_dataset, load_images
from ...core.errors import InputError
from ...core.files import regular_file
from ...core.spec import PreprocessSpec


class RunFolder:
    """A training run as export sees it: Keras model, spec, and its train/val/test split."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"run folder does not exist: {self.path}")
        for name in ("model.keras", "spec.json", "split.csv"):
            if not (self.path / name).exists():
                raise InputError(f"not a training run folder (no {name}): {self.path}")
        self.spec = PreprocessSpec.from_json(regular_file(self.path / "spec.json", "a run file").read_text())
        self.samples = load_dataset(self.path / "split.csv").samples
        manifest = self.path / "manifest.json"
        try:
            self.manifest = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        except (OSError, ValueError) as exc:
            raise InputError(f"{manifest}: unreadable run manifest ({exc})") from None
        self._model = None
        self._train_images = None

    def sha256(self) -> str:
        """One digest of the files an export reads from the run (model, spec, split)."""
        digest = hashlib.sha256()
        for name in ("model.keras", "spec.json", "split.csv"):
            digest.update(hashlib.sha256(regular_file(self.path / name, "a run file").read_bytes()).digest())
        return digest.hexdigest()

    @property
    def arch(self) -> str:
        return self.manifest.get("config", {}).get("arch", "unknown")

    def keras_model(self):
        if self._model is None:
            from ..keras_env import load_model

            self._model = load_model(self.path / "model.keras")
        return self._model

    def split(self, name: str):
        return [s for s in self.samples if s.split == name]

    def train_images(self):
        """Decoded training split, loaded once (fine-tunes need it, calibration a subset)."""
        if self._train_images is None:
            self._train_images = load_images(self.split("train"), self.spec, desc="train split")
        return self._train_images
