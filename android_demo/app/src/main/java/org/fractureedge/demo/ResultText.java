package org.fractureedge.demo;

import java.util.Locale;
import org.fractureedge.core.Classifier;
import org.fractureedge.core.FractureEdgeException;
import org.fractureedge.core.Spec;

/**
 * The words the screen shows, kept free of android.* so that they build and are tested on a
 * plain JVM (scripts/java-test.sh) next to the core.
 */
public final class ResultText {
    public static final String NOTICE = "Research demo, not a medical device. Do not use it to diagnose "
            + "or treat anyone.";

    private ResultText() {
    }

    public static String probability(Classifier.Prediction p, Spec spec) {
        return String.format(Locale.US, "P(%s) = %.3f", spec.positiveLabel, p.probability);
    }

    public static String label(Classifier.Prediction p, Spec spec) {
        return String.format(Locale.US, "%s (threshold %.2f)", p.label, spec.threshold);
    }

    public static String time(Classifier.Prediction p) {
        return String.format(Locale.US, "inference %.1f ms, preprocessing %.1f ms", p.inferenceMs, p.preprocessMs);
    }

    /**
     * What the model is: shown under the title once the model has loaded. Its input, the
     * preprocessing its spec asks for, and on a second line the operating point it ships with.
     */
    public static String model(Spec spec) {
        String what = String.format(Locale.US, "%dx%d %s input, %s", spec.width, spec.height, spec.inputDtype,
                preprocessing(spec));
        return spec.operatingPoint == null ? what : what + "\noperating point: " + operatingPoint(spec);
    }

    /** Where the edge channel comes from, or that there is none (a gray-only spec has no Canny step). */
    static String preprocessing(Spec spec) {
        if (!spec.fusion.contains("edges")) {
            return "gray only (no edge channel)";
        }
        return spec.inGraph.contains("canny") ? "fused (Canny in the model)" : "Canny on the phone";
    }

    /**
     * The threshold, what it promises and what cross-validation measured there, worded as
     * fracture_edge/core/operating_point.py's describe(): the interval's ends are one-sided bounds at
     * the confidence, so together a (2c - 1) interval.
     */
    static String operatingPoint(Spec spec) {
        Spec.OperatingPoint op = spec.operatingPoint;
        return String.format(Locale.US, "threshold %.3f for sensitivity >= %.2f at %s confidence (expected %.2f, "
                        + "%s interval %.2f-%.2f; specificity %.2f, %.2f-%.2f; family bootstrap on cross-validation)",
                spec.threshold, op.targetSensitivity, percent(op.confidence), op.sensitivity,
                percent(2 * op.confidence - 1), op.sensitivityInterval[0], op.sensitivityInterval[1],
                op.specificity, op.specificityInterval[0], op.specificityInterval[1]);
    }

    private static String percent(double x) {
        String s = String.format(Locale.US, "%.1f", 100 * x);
        return (s.endsWith(".0") ? s.substring(0, s.length() - 2) : s) + " %";
    }

    /** One line for any failure: the core's messages are already meant for people. */
    public static String error(Throwable t) {
        if (t instanceof FractureEdgeException) {
            return t.getMessage();
        }
        String m = t.getMessage();
        return "Unexpected error: " + t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    public static String undecodable(String what) {
        return "Could not decode " + what + " as an image. Pick a JPEG or PNG X-ray.";
    }
}
