package org.fractureedge.demo;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.fractureedge.core.Classifier;
import org.fractureedge.core.ModelFileException;
import org.fractureedge.core.Spec;
import org.junit.Test;

/** The app's screen texts: plain Java, built and tested on the JVM with the core. */
public class ResultTextTest {
    private static final String SPEC = "{\"schema\": \"fracture_edge.spec\", \"version\": 1,"
            + " \"input\": {\"height\": 64, \"width\": 64, \"dtype\": \"uint8\", \"quantization\": {\"scale\": 1.0, \"zero_point\": 0}},"
            + " \"grayscale\": {\"weights\": [0.299, 0.587, 0.114], \"fixed_point_bits\": 14},"
            + " \"resize\": {\"interpolation\": \"linear\"}, \"clahe\": null, \"blur\": null,"
            + " \"canny\": {\"low\": 50.0, \"high\": 150.0, \"aperture\": 3, \"l2_gradient\": false},"
            + " \"fusion\": [\"gray\", \"edges\", \"gray\"],"
            + " \"normalize\": {\"scale\": \"1/255\", \"mean\": [0.0, 0.0, 0.0], \"std\": [1.0, 1.0, 1.0]},"
            + " \"in_graph\": [\"canny\", \"fusion\", \"normalize\"], \"labels\": [\"not fractured\", \"fractured\"],"
            + " \"positive_label\": \"fractured\", \"threshold\": 0.5, \"temperature\": 1.0}";

    @Test
    public void formatsAPrediction() {
        Spec spec = Spec.fromJson(SPEC);
        Classifier.Prediction p = new Classifier.Prediction(0.8125, "fractured", 208, 1.25, 3.5);
        assertEquals("P(fractured) = 0.813", ResultText.probability(p, spec));
        assertEquals("fractured (threshold 0.50)", ResultText.label(p, spec));
        assertEquals("inference 3.5 ms, preprocessing 1.3 ms", ResultText.time(p));
        assertEquals("64x64 uint8 input, fused (Canny in the model)", ResultText.model(spec));
        assertTrue(ResultText.NOTICE.startsWith("Research demo, not a medical device"));
    }

    @Test
    public void describesThePreprocessingTheSpecAsksFor() {
        String unfused = SPEC.replace("\"in_graph\": [\"canny\", \"fusion\", \"normalize\"]", "\"in_graph\": []");
        assertEquals("64x64 uint8 input, Canny on the phone", ResultText.model(Spec.fromJson(unfused)));
        String grayOnly = unfused.replace("\"canny\": {\"low\": 50.0, \"high\": 150.0, \"aperture\": 3, \"l2_gradient\": false}",
                "\"canny\": null").replace("[\"gray\", \"edges\", \"gray\"]", "[\"gray\"]")
                .replace("[0.0, 0.0, 0.0]", "[0.0]").replace("[1.0, 1.0, 1.0]", "[1.0]");
        assertEquals("64x64 uint8 input, gray only (no edge channel)", ResultText.model(Spec.fromJson(grayOnly)));
    }

    @Test
    public void showsTheOperatingPointTheModelShipsWith() {
        Spec spec = Spec.fromJson(SPEC.replace("\"threshold\": 0.5, \"temperature\": 1.0",
                "\"threshold\": 0.3127, \"temperature\": 2.5, \"operating_point\": {\"target_sensitivity\": 0.95,"
                        + " \"confidence\": 0.9, \"sensitivity\": 0.9612, \"sensitivity_interval\": [0.951, 0.978],"
                        + " \"specificity\": 0.4304, \"specificity_interval\": [0.371, 0.492]}"));
        assertEquals("64x64 uint8 input, fused (Canny in the model)\noperating point: threshold 0.313 for sensitivity"
                + " >= 0.95 at 90 % confidence (expected 0.96, 80 % interval 0.95-0.98; specificity 0.43, 0.37-0.49;"
                + " family bootstrap on cross-validation)", ResultText.model(spec));
    }

    @Test
    public void errorsAreOneLine() {
        assertEquals("m.tflite: no spec", ResultText.error(new ModelFileException("m.tflite: no spec")));
        assertEquals("Unexpected error: IllegalStateException: boom", ResultText.error(new IllegalStateException("boom")));
    }
}
