"""fracture-edge: bone-fracture X-ray classifiers from training to phones.

One sub-package per layer (docs/architecture.md; the import contract in pyproject.toml checks
it): ``core`` never imports TensorFlow or matplotlib, so a device or server can install
``fracture-edge[edge]`` alone; ``plots`` draws; ``training`` imports TensorFlow, lazily;
``cli`` is the thin command line above them all.
"""

__version__ = "0.1.0"
