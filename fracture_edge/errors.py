"""One base exception for failures the user caused (bad paths, bad files, bad options).

The CLI turns a :class:`FractureEdgeError` into a one-line message and exit code 2. Anything
else is a bug and keeps its traceback.
"""


class FractureEdgeError(Exception):
    """A user-caused, expected failure: the message is shown as-is on one line."""


class InputError(FractureEdgeError):
    """A path, file or option given by the user cannot be used."""


class DecodeError(InputError):
    """An image file cannot be decoded into pixels we trust."""


class SpecError(FractureEdgeError):
    """A preprocessing spec is missing, malformed, or of an unknown version."""


class ModelFileError(InputError):
    """A model file is missing, not a .tflite, or carries no fracture-edge spec."""
