"""`fracture-edge export ...` with a line on stderr for every conversion and every gate
measurement, so that a --fallback auto run leaves its steps (layers kept in float, size,
agreement, seconds) in the log even when it is refused (nothing written) or killed. Wraps the
package's functions from outside; changes nothing in what export does.

    python trace_export.py RUN_DIR --variant int8 --fallback auto ... 2> trace.log
"""

from __future__ import annotations

import sys
import time

import fracture_edge.training.export.convert as convert_module
from fracture_edge.training.export import exporter, fallback

T0 = time.time()


def _say(msg: str) -> None:
    print(f"trace {time.time() - T0:7.1f}s {msg}", file=sys.stderr, flush=True)


_convert, _agreement = convert_module.convert, exporter.agreement


def convert(model, variant, *args, **kwargs):
    data = _convert(model, variant, *args, **kwargs)
    layers = [name.strip("^$").replace("\\", "") for name in variant.float_layers]
    _say(f"converted {variant.name}: {len(data) / 1024:.0f} KB, float layers {layers or '-'}")
    return data


def agreement(*args, **kwargs):
    value = _agreement(*args, **kwargs)
    _say(f"gate agreement {value:.2%}")
    return value


convert_module.convert = convert
exporter.agreement = fallback.agreement = agreement

if __name__ == "__main__":
    from fracture_edge.cli import main

    sys.argv = ["fracture-edge", "export", *sys.argv[1:]]
    main()
