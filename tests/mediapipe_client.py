"""Classify images with MediaPipe Tasks' ImageClassifier; print one JSON line of scores.

Run by tests/test_standard_metadata.py with the interpreter of the separate MediaPipe venv
(``make mediapipe-venv``): MediaPipe needs opencv-contrib-python, which cannot share a venv
with the opencv-python-headless that fracture-edge uses. Uses nothing from fracture-edge, so
it reads the model exactly as an app developer's code would: only the standard metadata.

    python mediapipe_client.py MODEL.tflite IMAGE... -> {"scores": [...], "labels": [...], "shown": [...]}

``scores`` are read with the score threshold overridden to ``EVERY`` (every score), ``shown``
with the model's own threshold from its metadata (what an app displays by default).
"""

import json
import sys

import cv2
import mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions

#: Below any score. Not 0.0: MediaPipe takes a zero threshold for "not set" and applies the model's.
EVERY = 1e-30


def classify(model: str, images: list[str], threshold):
    options = vision.ImageClassifierOptions(base_options=BaseOptions(model_asset_path=model), score_threshold=threshold)
    with vision.ImageClassifier.create_from_options(options) as classifier:
        return [classifier.classify(rgb(path)).classifications[0].categories for path in images]


def rgb(path: str):
    """The image as three-channel RGB: MediaPipe's image tasks take no one-channel images, and
    ``mp.Image.create_from_file`` keeps a gray PNG gray."""
    pixels = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=pixels)


def main() -> None:
    model, images = sys.argv[1], sys.argv[2:]
    every = classify(model, images, EVERY)
    shown = classify(model, images, None)
    print(json.dumps({"scores": [c[0].score for c in every], "labels": [c[0].category_name for c in every],
                      "shown": [[x.category_name for x in c] for c in shown]}))


if __name__ == "__main__":
    main()
