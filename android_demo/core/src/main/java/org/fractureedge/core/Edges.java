package org.fractureedge.core;

import java.util.Arrays;

/**
 * cv2.Canny on an 8-bit image, integer for integer: Sobel derivatives (16-bit, replicated
 * border), L1 or L2 magnitude, non-maximum suppression with OpenCV's fixed-point tangent tests,
 * thresholds floored to integers, then hysteresis over 8-connected neighbours. Edges are 255.
 */
public final class Edges {
    private Edges() {
    }

    private static final int[][] SMOOTH = {null, null, null, {1, 2, 1}, null, {1, 4, 6, 4, 1}, null,
        {1, 6, 15, 20, 15, 6, 1}};
    private static final int[][] DERIV = {null, null, null, {-1, 0, 1}, null, {-1, -2, 0, 2, 1}, null,
        {-1, -4, -5, 0, 5, 4, 1}};
    private static final int CANNY_SHIFT = 15;
    private static final int TG22 = (int) (0.4142135623730950488016887242097 * (1 << CANNY_SHIFT) + 0.5);

    public static byte[] canny(byte[] src, int w, int h, double lowThresh, double highThresh, int aperture,
                               boolean l2) {
        if (aperture != 3 && aperture != 5 && aperture != 7) {
            throw new SpecException("canny aperture must be 3, 5 or 7");
        }
        if (lowThresh > highThresh) {
            double t = lowThresh;
            lowThresh = highThresh;
            highThresh = t;
        }
        // OpenCV scales aperture-7 derivatives and thresholds by 1/16 to stay within 16 bits.
        int shift = aperture == 7 ? 4 : 0;
        if (aperture == 7) {
            lowThresh /= 16.0;
            highThresh /= 16.0;
        }
        int[] dx = sobel(src, w, h, DERIV[aperture], SMOOTH[aperture], shift);
        int[] dy = sobel(src, w, h, SMOOTH[aperture], DERIV[aperture], shift);
        if (l2) {
            lowThresh = Math.min(32767.0, lowThresh);
            highThresh = Math.min(32767.0, highThresh);
            if (lowThresh > 0) {
                lowThresh *= lowThresh;
            }
            if (highThresh > 0) {
                highThresh *= highThresh;
            }
        }
        int low = (int) Math.floor(lowThresh);
        int high = (int) Math.floor(highThresh);

        // Magnitudes with a zero border of one pixel all round.
        int mw = w + 2;
        int[] mag = new int[mw * (h + 2)];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int a = dx[y * w + x];
                int b = dy[y * w + x];
                mag[(y + 1) * mw + x + 1] = l2 ? a * a + b * b : Math.abs(a) + Math.abs(b);
            }
        }
        // map: 0 may be an edge, 1 cannot be, 2 is an edge (border cells 1).
        byte[] map = new byte[mw * (h + 2)];
        Arrays.fill(map, (byte) 1);
        int[] stack = new int[Math.max(16, w * h)];
        int top = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = (y + 1) * mw + x + 1;
                int m = mag[p];
                boolean candidate = false;
                if (m > low) {
                    int xs = dx[y * w + x];
                    int ys = dy[y * w + x];
                    int ax = Math.abs(xs);
                    int ay = Math.abs(ys) << CANNY_SHIFT;
                    int tg22x = ax * TG22;
                    if (ay < tg22x) {
                        candidate = m > mag[p - 1] && m >= mag[p + 1];
                    } else {
                        int tg67x = tg22x + (ax << (CANNY_SHIFT + 1));
                        if (ay > tg67x) {
                            candidate = m > mag[p - mw] && m >= mag[p + mw];
                        } else {
                            int s = (xs ^ ys) < 0 ? -1 : 1;
                            candidate = m > mag[p - mw - s] && m > mag[p + mw + s];
                        }
                    }
                }
                if (!candidate) {
                    map[p] = 1;
                } else if (m > high) {
                    map[p] = 2;
                    stack[top++] = p;
                } else {
                    map[p] = 0;
                }
            }
        }
        int[] nb = {-1, 1, -mw - 1, -mw, -mw + 1, mw - 1, mw, mw + 1};
        while (top > 0) {
            int p = stack[--top];
            for (int d : nb) {
                int q = p + d;
                if (map[q] == 0) {
                    map[q] = 2;
                    if (top == stack.length) {
                        stack = Arrays.copyOf(stack, stack.length * 2);
                    }
                    stack[top++] = q;
                }
            }
        }
        byte[] dst = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                dst[y * w + x] = map[(y + 1) * mw + x + 1] == 2 ? (byte) 255 : 0;
            }
        }
        return dst;
    }

    /**
     * Separable Sobel: {@code kx} along rows, {@code ky} down columns, replicated border; the sum
     * divided by {@code 2^shift} rounding half to even (OpenCV's cvRound), saturated to int16.
     */
    static int[] sobel(byte[] src, int w, int h, int[] kx, int[] ky, int shift) {
        int r = kx.length / 2;
        int[] tmp = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int acc = 0;
                for (int k = 0; k < kx.length; k++) {
                    int xx = Math.min(Math.max(x + k - r, 0), w - 1);
                    acc += kx[k] * (src[y * w + xx] & 0xFF);
                }
                tmp[y * w + x] = acc;
            }
        }
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int acc = 0;
                for (int k = 0; k < ky.length; k++) {
                    int yy = Math.min(Math.max(y + k - r, 0), h - 1);
                    acc += ky[k] * tmp[yy * w + x];
                }
                double v = shift == 0 ? acc : Math.rint(acc / (double) (1 << shift));
                out[y * w + x] = (int) Math.max(-32768, Math.min(32767, v));
            }
        }
        return out;
    }
}
