package org.fractureedge.core;

/**
 * Decoded pixels, where bit-exactness with Python starts: 8-bit gray (1 channel) or RGB
 * (3 channels, interleaved), row-major. The app fills it from its own image decoder.
 */
public final class Pixels {
    public final int width;
    public final int height;
    public final int channels;
    public final byte[] data;

    public Pixels(int width, int height, int channels, byte[] data) {
        if (width <= 0 || height <= 0) {
            throw new FractureEdgeException("image has no pixels (" + width + "x" + height + ")");
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (gray) or 3 (RGB), got " + channels);
        }
        if (data.length != width * height * channels) {
            throw new IllegalArgumentException("expected " + width * height * channels + " bytes, got " + data.length);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.data = data;
    }

    /** RGB pixels from packed ARGB ints (what Android's Bitmap.getPixels gives); alpha is dropped. */
    public static Pixels fromArgb(int[] argb, int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int k = 0; k < width * height; k++) {
            int p = argb[k];
            rgb[3 * k] = (byte) (p >> 16);
            rgb[3 * k + 1] = (byte) (p >> 8);
            rgb[3 * k + 2] = (byte) p;
        }
        return new Pixels(width, height, 3, rgb);
    }
}
