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

    /** What the model is: shown under the title once the model has loaded. */
    public static String model(Spec spec) {
        return String.format(Locale.US, "%dx%d %s input, %s model", spec.width, spec.height, spec.inputDtype,
                spec.fused() ? "fused (Canny in the graph)" : "unfused (Canny on the phone)");
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
