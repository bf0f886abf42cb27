package org.fractureedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
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
