"""Canny edge detection as a Keras layer of TFLite builtin ops, reproducing ``cv2.Canny``.

A *fused* export puts this layer (plus channel fusion and normalisation) in front of the
trained network, so an app only decodes and resizes. It matches OpenCV's 8-bit algorithm
(aperture 3, L1 gradient) step by step, in float32 arithmetic that is exact for these integers:

1. Sobel derivatives with replicated borders (``MIRROR_PAD`` SYMMETRIC by one pixel is
   replication) as one 3x3 convolution with two output channels.
2. Magnitude ``|dx| + |dy|``.
3. Non-maximum suppression with OpenCV's fixed-point sector test: with ``x = |dx|``,
   ``y = |dy|`` and ``TG22 = round(tan(22.5°) * 2**15) = 13573``, the gradient is horizontal when
   ``y * 2**15 < x * TG22``, vertical when ``y * 2**15 > x * (TG22 + 2**16)``, diagonal otherwise.
   Both sides are computed so that every product stays exactly representable in float32.
   Comparisons keep OpenCV's asymmetry (``>`` on one side, ``>=`` on the other).
4. Double threshold: candidates ``m > low`` that survive NMS; strong ones ``m > high``.
5. Hysteresis: strong pixels grow through 8-connected candidates by repeated 3x3 dilation
   until nothing changes (a ``WHILE`` loop in TFLite), so long weak chains are never cut short.
   Weak chains are long on real radiographs (at 224 px a median image needs 76 growth steps,
   the worst of 300 needed 239), which is why a fixed number of steps is not enough.
"""

from __future__ import annotations

from ..keras_env import tf

TG22 = 13573            # int(tan(22.5 deg) * 2**15 + 0.5), as in OpenCV
SHIFT = 32768.0         # 2**15


def sobel(gray):
    """(N, H, W, 1) float pixels -> dx, dy with OpenCV's replicated border."""
    padded = tf.pad(gray, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    kx = tf.constant([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], tf.float32)
    kernel = tf.stack([kx, tf.transpose(kx)], axis=-1)[:, :, None, :]          # (3, 3, 1, 2)
    d = tf.nn.conv2d(padded, kernel, strides=1, padding="VALID")
    return d[..., :1], d[..., 1:]


def _neighbours(mag):
    """The 3x3 neighbourhood of every pixel, zero outside the image: dict (dy, dx) -> tensor."""
    h, w = mag.shape[1], mag.shape[2]
    p = tf.pad(mag, [[0, 0], [1, 1], [1, 1], [0, 0]])
    return {(dy, dx): p[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w, :]
            for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)}


# Logic on exact integer-valued floats, as 0.0/1.0 masks. Comparisons and boolean ops would
# run in TFLite's scalar kernels; these are elementwise arithmetic that XNNPACK vectorises.
def _gt(a, b):
    """1.0 where a > b (a, b integers held exactly in float32), else 0.0."""
    return tf.minimum(tf.nn.relu(a - b), 1.0)


def _ge(a, b):
    return _gt(a + 1.0, b)


def _select(mask, a, b):
    return b + mask * (a - b)


def candidates(gray, low: float, high: float):
    """0/1 masks: pixels that pass NMS and the low threshold, and the strong ones among them."""
    dx, dy = sobel(gray)
    x, y = tf.abs(dx), tf.abs(dy)
    m = x + y
    n = _neighbours(m)
    xt = x * TG22
    horizontal = _gt(xt, y * SHIFT)                       # y * 2**15 < x * TG22
    vertical = _gt((y - 2.0 * x) * SHIFT, xt)             # y * 2**15 > x * (TG22 + 2**16), exactly
    # OpenCV: s = (dx ^ dy) < 0 ? -1 : 1, i.e. exactly one of dx, dy is negative.
    neg_x, neg_y = _gt(0.0, dx), _gt(0.0, dy)
    opposite = neg_x + neg_y - 2.0 * neg_x * neg_y
    h_max = _gt(m, n[(0, -1)]) * _ge(m, n[(0, 1)])
    v_max = _gt(m, n[(-1, 0)]) * _ge(m, n[(1, 0)])
    d_same = _gt(m, n[(-1, -1)]) * _gt(m, n[(1, 1)])
    d_opp = _gt(m, n[(-1, 1)]) * _gt(m, n[(1, -1)])
    local_max = _select(horizontal, h_max, _select(vertical, v_max, _select(opposite, d_opp, d_same)))
    cand = local_max * _gt(m, float(int(low)))
    strong = cand * _gt(m, float(int(high)))
    return cand, strong


def _dilate(e, cand):
    """One 8-connected growth step, restricted to candidates.

    The (N, H, W, 1) map is viewed as (N, H, 1, W) (a free reshape), so the vertical max-pool
    runs vectorised across the W "channels"; a 3x3 max-pool over one channel runs a scalar
    loop and cost about 1.5x as much per step here.
    """
    h, w = e.shape[1], e.shape[2]
    r = tf.nn.max_pool2d(tf.reshape(e, [-1, h, 1, w]), (3, 1), 1, "SAME")
    p = tf.pad(r, [[0, 0], [0, 0], [0, 0], [1, 1]])
    r = tf.maximum(r, tf.maximum(p[..., :w], p[..., 2:]))
    return tf.reshape(r, [-1, h, w, 1]) * cand


def hysteresis(cand, strong, steps_per_check: int = 4, max_iterations: int = 100000):
    """Grow ``strong`` through 8-connected ``cand`` pixels until it stops changing.

    Each loop iteration takes ``steps_per_check`` growth steps before comparing the edge count
    with the previous one; steps past convergence change nothing, so the result is exact.
    """

    def cond(i, e, prev_total):
        return tf.logical_and(i < max_iterations, tf.reduce_sum(e) > prev_total)

    def body(i, e, prev_total):
        total = tf.reduce_sum(e)
        for _ in range(steps_per_check):
            e = _dilate(e, cand)
        return i + 1, e, total

    _, edges, _ = tf.while_loop(cond, body, (tf.constant(0), _dilate(strong, cand), tf.reduce_sum(strong)))
    return edges


def canny(gray, low: float, high: float):
    """(N, H, W, 1) float pixel values 0..255 -> edge map of 0.0 / 255.0, like cv2.Canny."""
    cand, strong = candidates(gray, low, high)
    return hysteresis(cand, strong) * 255.0
