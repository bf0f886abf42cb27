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


def one_line(exc: BaseException) -> str:
    """A library's message on one line: pydicom's and LiteRT's span several (one per plugin,
    one per failing node), and errors are shown on one."""
    return " ".join(str(exc).split())


def check_choice(value, choices, what: str, where: str = ""):
    """``value`` (one name, or a list or tuple of names) if each is one of ``choices``; else one
    line naming the unknown ones and listing the choices, after ``where`` (e.g. the file it was
    read from). The one check behind every "unknown NAME" message, so all read alike."""
    many = isinstance(value, (list, tuple))
    bad = [v for v in (value if many else [value]) if v not in choices]
    if bad:
        prefix = f"{where}: " if where else ""
        raise InputError(f"{prefix}unknown {what} {', '.join(map(repr, bad))} "
                         f"(choose from {', '.join(map(str, choices))})")
    return list(value) if many else value
