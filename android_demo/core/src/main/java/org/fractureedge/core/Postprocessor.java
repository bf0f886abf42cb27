package org.fractureedge.core;

/**
 * The model's raw output to a calibrated probability and a label, per the spec
 * (fracture_edge/core/runtimes/litert.py dequantize and fracture_edge/core/postprocess.py).
 */
public final class Postprocessor {
    private Postprocessor() {
    }

    /** An integer output back to float with the tensor's own scale and zero point, in float32. */
    public static float dequantize(long raw, ModelFile.TensorInfo output) {
        return (float) (raw - output.zeroPoint) * output.scale;
    }

    /** Temperature scaling on the logit: sigmoid(logit(p) / T); identity when T == 1. */
    public static double calibrated(double prob, Spec spec) {
        if (spec.temperature == 1.0) {
            return prob;
        }
        double p = Math.min(Math.max(prob, 1e-7), 1 - 1e-7);
        return 1.0 / (1.0 + Math.exp(-Math.log(p / (1 - p)) / spec.temperature));
    }

    public static String label(double prob, Spec spec) {
        String negative = spec.labels.get(1 - spec.positiveIndex());
        return prob >= spec.threshold ? spec.positiveLabel : negative;
    }
}
