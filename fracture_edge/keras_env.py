"""The one place TensorFlow is imported for training and export, with Keras 2 selected.

tensorflow-model-optimization works on Keras 2 models only, so ``TF_USE_LEGACY_KERAS=1`` is set
before TensorFlow is first imported and all training/export code uses ``tf_keras``. Import
``tf`` and ``keras`` from here, never ``tensorflow`` directly.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.get_logger().setLevel("ERROR")

__all__ = ["tf", "keras"]
