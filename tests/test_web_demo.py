"""The phone-browser demo (web_demo/) in headless Chromium with mobile emulation.

The page is served on 127.0.0.1 by web_demo/serve.py, with LiteRT.js and its wasm from
web_demo/node_modules (`npm ci`; `make test` does it). Its outputs on real radiographs are held
against Python LiteRT's: the same input tensor bit for bit, the same probability for int8 models
and within 1e-5 for float ones. Bad input must end as a message on screen.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from mobile_support import fused_exports, require

from fracture_edge.core import golden
from fracture_edge.core.decode import decode_file
from fracture_edge.core.errors import ModelFileError
from fracture_edge.core.predict import Predictor
from fracture_edge.core.preprocess import model_input
from fracture_edge.core.tflite_meta import METADATA_NAME, read_spec

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web_demo"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PHONE = {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0},
         "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                      "Chrome/120.0 Mobile Safari/537.36"}
FLOAT_TOL = 1e-5


def require_node_modules():
    require(shutil.which("node") is not None, "Node.js")
    require((WEB / "node_modules" / "@litertjs" / "core" / "wasm").is_dir(), "web_demo/node_modules (npm ci)")


class Page:
    """The demo page in one browser tab, driven as a person would: through its file inputs."""

    def __init__(self, driver, url):
        self.driver, self.url = driver, url

    def reload(self):
        self.driver.get(self.url)
        self.wait(lambda s: s == "no-model")

    def js(self, script):
        return self.driver.execute_script(script)

    def wait(self, done, timeout=60.0):
        end = time.time() + timeout
        while time.time() < end:
            state = self.js("return document.body.dataset.state")
            if done(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"page stuck in state {state!r}; error: {self.js('return window.feError')}")

    def pick(self, input_id, path):
        """Choose a file in one of the page's inputs and wait until the page has handled it."""
        before = self.js("return document.body.dataset.done")
        self.driver.find_element("id", input_id).send_keys(str(path))
        self.wait(lambda s: self.js("return document.body.dataset.done") != before)

    def load_model(self, path) -> str:
        self.pick("model-file", path)
        return self.error() or self.driver.find_element("id", "model-info").text

    def classify(self, path) -> dict | str:
        self.pick("image-file", path)
        return self.error() or self.js("return window.feResult")

    def error(self) -> str | None:
        el = self.driver.find_element("id", "error")
        return el.text if el.is_displayed() else None


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    require_node_modules()
    require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "Chromium and ChromeDriver (Debian chromium, chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require(False, "selenium (pip install -e '.[dev]')")
    sys.path.insert(0, str(WEB))
    try:
        from serve import make_server
    finally:
        sys.path.remove(str(WEB))
    server = make_server(0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch a driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.add_experimental_option("mobileEmulation", PHONE)
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    try:
        p = Page(driver, f"http://127.0.0.1:{server.server_address[1]}/")
        p.reload()
        yield p
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()


def test_layout_is_a_phone_page(page):
    assert page.js("return window.innerWidth") == 390
    assert page.js("return document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert "not a medical device" in page.driver.find_element("id", "notice").text


def _png_images(real_dir, out: Path, count: int) -> list[Path]:
    """Real radiographs re-encoded as PNG (lossless: the browser decodes the very pixels Python
    does), plus one synthetic RGB image so the page's colour-to-gray path runs too."""
    out.mkdir()
    images = golden.real_images(real_dir, count)
    images["noise-rgb"] = golden.synthetic_images(32)["noise-rgb-37x45"]
    paths = []
    for name, px in images.items():
        p = out / f"{name}.png"
        cv2.imwrite(str(p), px if px.ndim == 2 else px[:, :, ::-1])
        assert np.array_equal(decode_file(p), px)
        paths.append(p)
    return paths


@pytest.mark.slow
@pytest.mark.realdata
def test_page_matches_python_litert_on_real_images(page, tiny_exports, tiny_run, tmp_path_factory, real_dir,
                                                    tmp_path):
    images = _png_images(real_dir, tmp_path / "png", 10)
    fused = fused_exports(tiny_run, tmp_path_factory)
    report = {}
    for variant, model in [("float32", tiny_exports / "float32" / "model.tflite"),
                           ("int8", tiny_exports / "int8" / "model.tflite"),
                           ("float32-fused", fused / "float32-fused" / "model.tflite"),
                           ("int8-fused", fused / "int8-fused" / "model.tflite")]:
        info = page.load_model(model)
        assert info.startswith("model.tflite: 64x64"), info
        assert ("fused" in info) == variant.endswith("fused"), info
        predictor = Predictor(model)
        worst = 0.0
        for img in images:
            got = page.classify(img)
            assert isinstance(got, dict), f"{img.name}: {got}"
            px = decode_file(img)
            x = model_input(px, predictor.spec)
            assert got["inputSha256"] == hashlib.sha256(x.tobytes()).hexdigest(), f"{variant} {img.name}: input differs"
            want = predictor(px)
            delta = abs(got["probability"] - want["probability"])
            worst = max(worst, delta)
            if predictor.session.output["dtype"] == np.float32:
                assert delta <= FLOAT_TOL, f"{variant} {img.name}: {got['probability']} vs {want['probability']}"
            else:
                assert got["probability"] == want["probability"], f"{variant} {img.name}"
            assert got["label"] == want["label"]
            assert got["inferenceMs"] > 0
        report[variant] = worst
    print(f"browser vs Python LiteRT on {len(images)} images: max |dprob| {json.dumps(report)}")


@pytest.mark.slow
@pytest.mark.realdata
def test_page_runs_an_int8_efficientnet_lite0_export_as_python_does(page, lite_int8_export, real_dir, tmp_path):
    """Lite0's int8 export (depthwise convolutions, ReLU6, (x-127)/128 quantised to uint8) in
    LiteRT.js: the same input tensor and the same probability as Python's LiteRT."""
    model = lite_int8_export / "model.tflite"
    info = page.load_model(model)
    assert info.startswith("model.tflite: 64x64"), info
    predictor = Predictor(model)
    assert predictor.spec.mean[0] == 127 / 255 and predictor.session.input_dtype == "uint8"
    for img in _png_images(real_dir, tmp_path / "png", 4):
        got = page.classify(img)
        assert isinstance(got, dict), f"{img.name}: {got}"
        px = decode_file(img)
        assert got["inputSha256"] == hashlib.sha256(model_input(px, predictor.spec).tobytes()).hexdigest(), img.name
        want = predictor(px)
        assert (got["probability"], got["label"]) == (want["probability"], want["label"]), img.name


@pytest.mark.slow
def test_model_without_spec_is_a_message_not_a_crash(page, tiny_exports, tmp_path):
    data = (tiny_exports / "int8" / "model.tflite").read_bytes()
    name = METADATA_NAME.encode()
    key = len(name).to_bytes(4, "little") + name
    assert data.count(key) == 1
    stripped = tmp_path / "nospec.tflite"
    stripped.write_bytes(data.replace(key, len(name).to_bytes(4, "little") + b"x" * len(name)))
    with pytest.raises(ModelFileError) as python:
        read_spec(stripped)
    msg = page.load_model(stripped)
    assert msg == str(python.value).replace(str(stripped), "nospec.tflite")
    assert page.js("return document.body.dataset.state") == "error"
    # The page still works afterwards.
    assert page.load_model(tiny_exports / "int8" / "model.tflite").startswith("model.tflite")
    assert page.load_model(stripped).endswith("export it with `fracture-edge export`")
    good = tmp_path / "ok.png"
    cv2.imwrite(str(good), golden.synthetic_images(32)["shapes-gray-75x100"])
    assert isinstance(page.classify(good), dict)  # the model that loaded before is still in use


def test_bad_files_are_messages_not_crashes(page, tmp_path):
    page.reload()
    junk = tmp_path / "junk.tflite"
    junk.write_text("this is not a model")
    assert page.load_model(junk) == "junk.tflite: not a .tflite model (no TFL3 identifier)"
    bad_image = tmp_path / "broken.png"
    bad_image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    # No model loaded: the page says what to do first (with one, the decoder complains: below).
    assert page.classify(bad_image) == "Choose a model (.tflite) first."


@pytest.mark.slow
def test_undecodable_image_is_a_message_not_a_crash(page, tiny_exports, tmp_path):
    page.load_model(tiny_exports / "float32" / "model.tflite")
    good = tmp_path / "ok.png"
    cv2.imwrite(str(good), golden.synthetic_images(32)["shapes-gray-75x100"])
    assert isinstance(page.classify(good), dict)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert page.classify(bad) == "Could not decode broken.png as an image. Pick a JPEG or PNG X-ray."
    assert page.driver.find_element("id", "probability").text == "–"  # the last result is not left up
    assert isinstance(page.classify(good), dict)


@pytest.mark.realdata
def test_js_port_reproduces_python_on_real_images(real_dir, tmp_path):
    require_node_modules()
    images = golden.synthetic_images(128)
    images.update(golden.real_images(real_dir, 12))
    gs = golden.write_golden(tmp_path / "golden", images, golden.golden_specs(128))
    r = subprocess.run(["node", "--test", "test/"], cwd=WEB, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "GOLDEN_DIR": str(tmp_path / "golden")})
    passed = int(re.search(r"^# pass (\d+)", r.stdout, re.M).group(1))
    failed = int(re.search(r"^# fail (\d+)", r.stdout, re.M).group(1))
    assert (r.returncode, failed) == (0, 0), r.stdout[-3000:]
    assert passed > len(gs.cases)
