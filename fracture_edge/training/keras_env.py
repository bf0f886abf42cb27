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

__all__ = ["tf", "keras", "load_model"]


def load_model(path: str | os.PathLike):
    """A saved Keras model, uncompiled, or a one-line error naming the file: a truncated or
    damaged ``.keras`` makes Keras raise OSError, ValueError, KeyError or zipfile's errors,
    whose messages do not name it."""
    import zipfile

    from ..core.errors import ModelFileError, one_line
    from ..core.files import regular_file

    path = regular_file(path, "a Keras model", ModelFileError)
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: damaged or unreadable Keras model ({one_line(exc)})") from None
