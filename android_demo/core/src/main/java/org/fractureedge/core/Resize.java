package org.fractureedge.core;

/**
 * OpenCV's bit-exact resizes of an 8-bit single-channel image, integer for integer:
 * {@code INTER_LINEAR_EXACT} (spec "linear") and {@code INTER_NEAREST_EXACT} (spec "nearest").
 * "area" (INTER_AREA) sums in float with OpenCV's own loop order and is not ported: it is refused.
 */
public final class Resize {
    private Resize() {
    }

    public static byte[] resize(byte[] src, int sw, int sh, int dw, int dh, String interpolation) {
        if (sw == dw && sh == dh) {
            return src.clone();
        }
        switch (interpolation) {
            case "linear":
                return linearExact(src, sw, sh, dw, dh);
            case "nearest":
                return nearestExact(src, sw, sh, dw, dh);
            default:
                throw new SpecException("resize interpolation '" + interpolation + "' is not supported by the "
                        + "Java core (it cannot reproduce OpenCV's " + interpolation + " resize bit for bit); "
                        + "train and export with interpolation 'linear' or 'nearest'");
        }
    }

    /**
     * Per destination index: the source offset and the two 8-bit fixed-point weights (summing to
     * 256), as OpenCV's interpolationLinear computes them in soft double precision: the source
     * coordinate {@code scale * (d + 0.5) - 0.5}, its fraction rounded half to even to 1/256.
     * Outside the source the nearest edge pixel is taken with weight 256.
     */
    static int[][] linearCoeffs(int srcSize, int dstSize) {
        double invScale = (double) dstSize / srcSize;
        double scale = 1.0 / invScale;
        int[] ofs = new int[dstSize];
        int[] w0 = new int[dstSize];
        int[] w1 = new int[dstSize];
        for (int d = 0; d < dstSize; d++) {
            double f = scale * (d + 0.5) - 0.5;
            int i = (int) Math.floor(f);
            if (i >= 0 && srcSize > 1 && i < srcSize - 1) {
                int c1 = (int) Math.rint((f - i) * 256.0);
                ofs[d] = i;
                w1[d] = c1;
                w0[d] = 256 - c1;
            } else {
                ofs[d] = (i >= 0 && srcSize > 1) ? srcSize - 1 : 0;
                w0[d] = 256;
                w1[d] = 0;
            }
        }
        return new int[][] {ofs, w0, w1};
    }

    static byte[] linearExact(byte[] src, int sw, int sh, int dw, int dh) {
        int[][] cx = linearCoeffs(sw, dw);
        int[][] cy = linearCoeffs(sh, dh);
        // Horizontal pass on every source row: values in 8-bit fixed point (pixel * 256), exact.
        int[] rows = new int[sh * dw];
        for (int y = 0; y < sh; y++) {
            int base = y * sw;
            for (int x = 0; x < dw; x++) {
                int o = cx[0][x];
                int a = src[base + o] & 0xFF;
                int b = cx[2][x] == 0 ? 0 : src[base + o + 1] & 0xFF;
                rows[y * dw + x] = cx[1][x] * a + cx[2][x] * b;
            }
        }
        // Vertical pass: 16 fractional bits, rounded half up (ufixedpoint32 -> uint8).
        byte[] dst = new byte[dw * dh];
        for (int y = 0; y < dh; y++) {
            int o = cy[0][y];
            int w0 = cy[1][y];
            int w1 = cy[2][y];
            for (int x = 0; x < dw; x++) {
                int acc = w0 * rows[o * dw + x] + (w1 == 0 ? 0 : w1 * rows[(o + 1) * dw + x]);
                int v = (acc + (1 << 15)) >> 16;
                dst[y * dw + x] = (byte) Math.min(v, 255);
            }
        }
        return dst;
    }

    /** OpenCV's resizeNN_bitexact: 16-bit fixed-point steps sampling pixel centres. */
    static byte[] nearestExact(byte[] src, int sw, int sh, int dw, int dh) {
        int ifx = ((sw << 16) + dw / 2) / dw;
        int ifx0 = ifx / 2 - sw % 2;
        int ify = ((sh << 16) + dh / 2) / dh;
        int ify0 = ify / 2 - sh % 2;
        int[] xo = new int[dw];
        for (int x = 0; x < dw; x++) {
            xo[x] = Math.min((ifx * x + ifx0) >> 16, sw - 1);
        }
        byte[] dst = new byte[dw * dh];
        for (int y = 0; y < dh; y++) {
            int sy = Math.min((ify * y + ify0) >> 16, sh - 1);
            for (int x = 0; x < dw; x++) {
                dst[y * dw + x] = src[sy * sw + xo[x]];
            }
        }
        return dst;
    }
}
