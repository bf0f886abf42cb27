package org.fractureedge.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.fractureedge.demo.ResultText;
import org.junit.Test;

/** The app's screen texts, built on the JVM with the core (android_demo/app, no android.*). */
public class ResultTextTest {
    @Test
    public void formatsAPrediction() {
        Spec spec = Spec.fromJson(Specs.uint8Fused(64));
        Classifier.Prediction p = new Classifier.Prediction(0.8125, "fractured", 208, 1.25, 3.5);
        assertEquals("P(fractured) = 0.813", ResultText.probability(p, spec));
        assertEquals("fractured (threshold 0.50)", ResultText.label(p, spec));
        assertEquals("inference 3.5 ms, preprocessing 1.3 ms", ResultText.time(p));
        assertEquals("64x64 uint8 input, fused (Canny in the graph) model", ResultText.model(spec));
        assertTrue(ResultText.NOTICE.startsWith("Research demo, not a medical device"));
    }

    @Test
    public void errorsAreOneLine() {
        assertEquals("m.tflite: no spec", ResultText.error(new ModelFileException("m.tflite: no spec")));
        assertEquals("Unexpected error: IllegalStateException: boom", ResultText.error(new IllegalStateException("boom")));
    }
}
