package org.fractureedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.junit.Test;

public class SpecTest {
    @Test
    public void readsTheDefaultSpec() {
        Spec s = Spec.fromJson(Specs.floatUnfused(128));
        assertEquals(128, s.height);
        assertEquals("float32", s.inputDtype);
        assertFalse(s.fused());
        assertArrayEquals(new int[] {128, 128, 3}, s.inputShape());
        assertEquals(Arrays.asList("grayscale", "resize", "canny", "fusion", "normalize"), s.hostSteps());
        assertArrayEquals(new int[] {4899, 9617, 1868}, s.fixedPointWeights());
        assertEquals(1, s.positiveIndex());
    }

    @Test
    public void fusedModelsTakeOneGrayChannel() {
        Spec s = Spec.fromJson(Specs.uint8Fused(64));
        assertTrue(s.fused());
        assertArrayEquals(new int[] {64, 64, 1}, s.inputShape());
        assertEquals(Arrays.asList("grayscale", "resize", "quantize"), s.hostSteps());
        assertEquals(1.0, s.inputQuantization.scale, 0);
    }

    @Test
    public void refusesOtherVersionsUnknownFieldsAndBadValues() {
        expect(Specs.floatUnfused(128).replace("\"version\": 1", "\"version\": 2"), "unsupported spec version 2.0");
        expect(Specs.json(128, "float32", "null", "[]", ", \"colour\": 1"), "unknown field(s) in spec: colour");
        expect(Specs.floatUnfused(128).replace("\"schema\": \"fracture_edge.spec\"", "\"schema\": \"x\""),
                "not a fracture-edge spec");
        expect(Specs.floatUnfused(8), "invalid spec: input size 8x8 is below 16");
        expect(Specs.json(32, "uint8", "null", "[]", ""), "input quantization is required");
        expect(Specs.json(32, "float32", "null", "[\"fusion\", \"canny\"]", ""), "in_graph must be a trailing run");
        expect(Specs.floatUnfused(32).replace("\"aperture\": 3", "\"aperture\": 4"), "canny aperture must be 3, 5 or 7");
        expect("{\"schema\": ", "spec is not valid JSON");
        expect("[1, 2]", "spec must be a JSON object");
    }

    @Test
    public void clahBlurAndAreaAreRefusedClearly() {
        String clahe = Specs.floatUnfused(32).replace("\"clahe\": null", "\"clahe\": {\"clip_limit\": 2.0, \"tile_grid\": 8}");
        expectUnsupported(clahe, "CLAHE");
        String blur = Specs.floatUnfused(32).replace("\"blur\": null", "\"blur\": {\"ksize\": 3, \"sigma\": 0.0}");
        expectUnsupported(blur, "Gaussian blur");
        String area = Specs.floatUnfused(32).replace("\"linear\"", "\"area\"");
        expectUnsupported(area, "interpolation 'area' is not supported");
    }

    @Test
    public void readsTheOperatingPointAndSpecsWithoutOne() {
        assertNull(Spec.fromJson(Specs.floatUnfused(32)).operatingPoint);
        assertNull(Spec.fromJson(Specs.withOperatingPoint("null")).operatingPoint);
        Spec.OperatingPoint op = Spec.fromJson(Specs.withOperatingPoint(Specs.OPERATING_POINT)).operatingPoint;
        assertEquals(0.95, op.targetSensitivity, 0);
        assertEquals(0.9, op.confidence, 0);
        assertEquals(0.9612, op.sensitivity, 0);
        assertArrayEquals(new double[] {0.951, 0.978}, op.sensitivityInterval, 0);
        assertEquals(0.4304, op.specificity, 0);
        assertArrayEquals(new double[] {0.371, 0.492}, op.specificityInterval, 0);
    }

    @Test
    public void refusesWhatPythonRefusesInTheOperatingPoint() {
        String op = Specs.OPERATING_POINT;
        expect(Specs.withOperatingPoint(op.replace("}", ", \"bogus\": 1}")),
                "unknown field(s) in spec.operating_point: bogus");
        expect(Specs.withOperatingPoint(op.replace("\"confidence\": 0.9", "\"confidence\": 1.5")),
                "invalid spec: operating_point.confidence must lie in (0.5, 1)");
        expect(Specs.withOperatingPoint(op.replace("\"confidence\": 0.9", "\"confidence\": \"0.9\"")),
                "invalid spec: operating_point.confidence must be a number");
        expect(Specs.withOperatingPoint(op.replace("\"sensitivity\": 0.9612", "\"sensitivity\": true")),
                "invalid spec: operating_point.sensitivity must be a number");
        expect(Specs.withOperatingPoint(op.replace("\"target_sensitivity\": 0.95", "\"target_sensitivity\": 0")),
                "invalid spec: operating_point.target_sensitivity must lie in (0, 1]");
        expect(Specs.withOperatingPoint(op.replace("\"specificity\": 0.4304", "\"specificity\": 1.2")),
                "invalid spec: operating_point.specificity must lie in [0, 1]");
        expect(Specs.withOperatingPoint(op.replace("[0.951, 0.978]", "[0.98, 0.95]")),
                "invalid spec: operating_point.sensitivity_interval needs 0 <= low <= high <= 1");
        expect(Specs.withOperatingPoint(op.replace("[0.371, 0.492]", "[0.4]")),
                "invalid spec: operating_point.specificity_interval must be two numbers");
        expect(Specs.withOperatingPoint(op.replace(", \"specificity\": 0.4304", "")),
                "spec is missing field 'operating_point.specificity'");
        expect(Specs.withOperatingPoint("[0.9]"), "spec.operating_point must be an object or null");
    }

    /** The golden specs are Python's own JSON: their operating points read number for number. */
    @Test
    @SuppressWarnings("unchecked")
    public void readsPythonsOperatingPointsAsWritten() throws IOException {
        int found = 0;
        for (Object o : ((Map<String, Object>) Golden.load().index.get("specs")).values()) {
            Map<String, Object> d = (Map<String, Object>) o;
            Map<String, Object> written = (Map<String, Object>) d.get("operating_point");
            if (written != null) {
                Spec.OperatingPoint op = Spec.fromMap(d).operatingPoint;
                assertEquals(written.get("target_sensitivity"), op.targetSensitivity);
                assertEquals(written.get("confidence"), op.confidence);
                assertEquals(written.get("sensitivity"), op.sensitivity);
                assertEquals(written.get("specificity"), op.specificity);
                assertEquals(written.get("sensitivity_interval"), Arrays.asList(op.sensitivityInterval[0], op.sensitivityInterval[1]));
                assertEquals(written.get("specificity_interval"), Arrays.asList(op.specificityInterval[0], op.specificityInterval[1]));
                found++;
            }
        }
        assertTrue("no golden spec has an operating point", found > 0);
    }

    private static void expect(String json, String message) {
        try {
            Spec.fromJson(json);
            fail("accepted: " + json);
        } catch (SpecException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(message));
        }
    }

    private static void expectUnsupported(String json, String message) {
        Spec s = Spec.fromJson(json);
        try {
            new Preprocessor(s);
            fail("accepted a spec the core cannot reproduce");
        } catch (SpecException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(message));
        }
    }
}
