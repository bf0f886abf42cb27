# The README's commands. `make demo` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast bench clean mobile-deps java-test web-test mediapipe-venv
WEB    := web_demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/fracture-edge demo --out demo_out

test: $(STAMP) mobile-deps mediapipe-venv
	$(BIN)/lint-imports --no-cache
	bash scripts/java-test.sh
	@if command -v node >/dev/null; then cd $(WEB) && node --test test/; else $(call missing,node); fi
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -m "not slow"

# MediaPipe Tasks in a venv of its own (its opencv-contrib-python clashes with the headless OpenCV
# of .venv): tests/test_standard_metadata.py runs its ImageClassifier in a subprocess.
MP_VENV := .venv-mediapipe
$(MP_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MP_VENV)
	$(MP_VENV)/bin/pip install --quiet --upgrade pip
	$(MP_VENV)/bin/pip install --quiet ".[mediapipe]"
	touch $@

mediapipe-venv: $(MP_VENV)/.installed

# The Android core's JVM tests and the browser demo need Debian's JDK, JUnit 4 and Chromium, and
# LiteRT.js from npm (its wasm is served from web_demo/node_modules).
mobile-deps: $(WEB)/node_modules/.package-lock.json
	bash scripts/install-system-deps.sh

$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null; then cd $(WEB) && npm ci --no-audit --no-fund; else $(call missing,npm); fi

# A tool the mobile tests need is missing: an error in CI, a notice elsewhere (the tests then skip).
missing = if [ "$$CI" = true ]; then echo "$(1) is missing" >&2; exit 1; else echo "$(1) not found: skipping what needs it"; fi

java-test: mobile-deps
	bash scripts/java-test.sh

web-test: $(STAMP) mobile-deps
	cd $(WEB) && node --test test/
	$(BIN)/python -m pytest -q tests/test_web_demo.py

clean:
	rm -rf demo_out .pytest_cache
