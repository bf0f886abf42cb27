"""fracture-edge: bone-fracture X-ray classifiers from training to phones.

The package is layered (see docs/architecture.md): the core (spec, decode, preprocess,
tflite_meta, runtimes, metrics, predict, bench, data) never imports TensorFlow, so a device or
server can install ``fracture-edge[edge]`` alone; training and export import it lazily.
"""

__version__ = "0.1.0"
