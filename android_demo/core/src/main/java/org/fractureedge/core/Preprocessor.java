package org.fractureedge.core;

import java.util.List;

/**
 * Decoded pixels to the model's input tensor, exactly as fracture_edge/core/preprocess.py does it,
 * step by step: grayscale (14-bit fixed point), resize, then for an unfused model Canny, fusion,
 * normalisation (in float32) and quantisation; a fused model takes the resized gray image.
 * CLAHE and blur are refused with a clear message: this core does not reproduce them bit for bit.
 */
public final class Preprocessor {
    private static final float INV255 = (float) (1.0 / 255.0);

    private final Spec spec;

    public Preprocessor(Spec spec) {
        List<String> steps = spec.hostSteps();
        if (steps.contains("clahe")) {
            throw new SpecException("the spec asks for CLAHE, which this Java core does not implement "
                    + "(it cannot yet reproduce OpenCV's CLAHE bit for bit); export a model without CLAHE");
        }
        if (steps.contains("blur")) {
            throw new SpecException("the spec asks for a Gaussian blur, which this Java core does not "
                    + "implement (it cannot yet reproduce OpenCV's blur bit for bit); export a model without blur");
        }
        if (!spec.interpolation.equals("linear") && !spec.interpolation.equals("nearest")) {
            throw new SpecException("resize interpolation '" + spec.interpolation + "' is not supported by the "
                    + "Java core (it cannot reproduce OpenCV's " + spec.interpolation + " resize bit for bit); "
                    + "train and export with interpolation 'linear' or 'nearest'");
        }
        this.spec = spec;
    }

    public Spec spec() {
        return spec;
    }

    /** RGB to gray with the spec's weights in 14-bit fixed point, rounded half up; gray passes through. */
    public byte[] toGray(Pixels px) {
        if (px.channels == 1) {
            return px.data.clone();
        }
        int[] w = spec.fixedPointWeights();
        int n = px.width * px.height;
        byte[] out = new byte[n];
        byte[] d = px.data;
        for (int k = 0; k < n; k++) {
            int acc = (d[3 * k] & 0xFF) * w[0] + (d[3 * k + 1] & 0xFF) * w[1] + (d[3 * k + 2] & 0xFF) * w[2];
            out[k] = (byte) ((acc + (1 << 13)) >> 14);
        }
        return out;
    }

    /** Gray image of the source size to the model's height and width. */
    public byte[] resize(byte[] gray, int width, int height) {
        return Resize.resize(gray, width, height, spec.width, spec.height, spec.interpolation);
    }

    /** Decoded pixels to resized gray: all a fused model needs from the app. */
    public byte[] prepareGray(Pixels px) {
        return resize(toGray(px), px.width, px.height);
    }

    /** Canny edges of the resized gray image (0 or 255). */
    public byte[] edges(byte[] resized) {
        Spec.Canny c = spec.canny;
        return Edges.canny(resized, spec.width, spec.height, c.low, c.high, c.aperture, c.l2Gradient);
    }

    /** Decoded pixels to the exact tensor the model described by the spec takes. */
    public ModelInput run(Pixels px) {
        return fromGray(prepareGray(px));
    }

    /** Resized gray image to the model input, running only the spec's host steps. */
    public ModelInput fromGray(byte[] gray) {
        int hw = spec.width * spec.height;
        if (spec.fused()) {
            // The model runs Canny, fusion and normalisation; it takes the gray pixels as they are.
            int[] shape = {spec.height, spec.width, 1};
            float[] f = new float[hw];
            for (int k = 0; k < hw; k++) {
                f[k] = gray[k] & 0xFF;
            }
            return spec.inputQuantization == null ? new ModelInput(shape, f) : quantize(shape, f);
        }
        List<String> fusion = spec.fusion;
        int c = fusion.size();
        byte[] edges = fusion.contains("edges") ? edges(gray) : null;
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int k = 0; k < c; k++) {
            mean[k] = (float) spec.mean[k];
            std[k] = (float) spec.std[k];
        }
        float[] x = new float[hw * c];
        for (int k = 0; k < hw; k++) {
            for (int ch = 0; ch < c; ch++) {
                byte[] plane = fusion.get(ch).equals("gray") ? gray : edges;
                float v = (float) (plane[k] & 0xFF) * INV255;
                x[k * c + ch] = (v - mean[ch]) / std[ch];
            }
        }
        int[] shape = {spec.height, spec.width, c};
        return spec.inputQuantization == null ? new ModelInput(shape, x) : quantize(shape, x);
    }

    /** clip(rint(x / scale) + zero_point), in float32 with rint rounding half to even. */
    private ModelInput quantize(int[] shape, float[] x) {
        float scale = (float) spec.inputQuantization.scale;
        int zp = spec.inputQuantization.zeroPoint;
        boolean unsigned = spec.inputDtype.equals("uint8");
        int lo = unsigned ? 0 : -128;
        int hi = unsigned ? 255 : 127;
        byte[] q = new byte[x.length];
        for (int k = 0; k < x.length; k++) {
            float r = (float) Math.rint(x[k] / scale);
            float v = r + zp;
            q[k] = (byte) (int) Math.max(lo, Math.min(hi, v));
        }
        return new ModelInput(spec.inputDtype, shape, q);
    }
}
