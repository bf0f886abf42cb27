"""Fused preprocessing: Canny, channel fusion and normalisation as a layer in front of the net.

A fused model takes the resized uint8 grayscale image and does the rest of the spec inside
the graph, so a mobile app only decodes and resizes. The same training run can be exported
fused or unfused: the layer reproduces exactly what ``preprocess.tensor_from_gray`` does on the
host, and export stitches it in front of the trained network (``export/stitch.py``).
"""

from __future__ import annotations

from ..keras_env import keras, tf
from .canny import canny


class SpecPreprocess(keras.layers.Layer):
    """Grayscale pixels (N, H, W, 1), any dtype holding 0..255 -> the network's float input."""

    def __init__(self, low: float, high: float, fusion, mean, std, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)
        self.fusion, self.mean, self.std = tuple(fusion), tuple(mean), tuple(std)

    def call(self, gray):
        g = tf.cast(gray, tf.float32)
        planes = {"gray": g}
        if "edges" in self.fusion:
            planes["edges"] = canny(g, self.low, self.high)
        x = tf.concat([planes[c] for c in self.fusion], axis=-1) if len(self.fusion) > 1 else planes[self.fusion[0]]
        # Same float32 arithmetic as preprocess.normalize: x * (1/255) then (x - mean) / std.
        x = x * tf.constant(1.0 / 255.0, tf.float32)
        return (x - tf.constant(self.mean, tf.float32)) / tf.constant(self.std, tf.float32)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high, "fusion": list(self.fusion),
                "mean": list(self.mean), "std": list(self.std)}
