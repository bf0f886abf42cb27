#!/usr/bin/env python3
"""Serve the web demo (and its LiteRT.js wasm from node_modules) on the loopback interface only.

    python3 serve.py [--port 8000]

Open http://127.0.0.1:8000/ on this machine. To try it on a phone, forward the port over USB
(Chrome's remote devices, `adb reverse tcp:8000 tcp:8000`) so the phone also reaches it as
127.0.0.1, a secure context; this server never listens on other interfaces. Standard library only.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".tflite": "application/octet-stream",
    }

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, fmt, *args):  # keep test output quiet; errors still reach stderr
        if self.quiet:
            return
        super().log_message(fmt, *args)

    quiet = False


def make_server(port: int = 0, root: Path = HERE, quiet: bool = False) -> http.server.ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (port 0: any free port); call serve_forever() to run it."""
    if not (root / "node_modules" / "@litertjs" / "core").is_dir():
        raise SystemExit(f"{root}/node_modules is missing: run `npm ci` in {root} first")
    handler = functools.partial(type("H", (Handler,), {"quiet": quiet}), directory=str(root))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    server = make_server(args.port, quiet=args.quiet)
    print(f"serving {HERE} on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
