package org.fractureedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.Test;

public class ModelFileTest {
    private static final int FLOAT32 = 0, UINT8 = 3;

    @Test
    public void readsSpecAndTensorsFromTheMetadataList() {
        String json = Specs.uint8Unfused(64);
        byte[] model = FlatModel.model(json, UINT8, new int[] {1, 64, 64, 3}, 0.00390625f, 0, UINT8, false);
        ModelFile m = ModelFile.parse(model, "tiny.tflite");
        assertEquals(Arrays.asList("min_runtime_version", ModelFile.METADATA_NAME), Arrays.asList(m.metadata().keySet().toArray()));
        assertEquals(json, new String(m.metadata().get(ModelFile.METADATA_NAME), StandardCharsets.UTF_8));
        assertEquals(json, m.spec().json());
        assertEquals("uint8", m.input().dtype);
        assertArrayEquals(new int[] {1, 64, 64, 3}, m.input().shape);
        assertEquals("uint8", m.output().dtype);
        assertEquals(0.00390625f, m.output().scale, 0);
        assertEquals(0, m.output().zeroPoint);
    }

    @Test
    public void readsTheLargeModelLayout() {
        String json = Specs.floatUnfused(32);
        byte[] model = FlatModel.model(json, FLOAT32, new int[] {1, 32, 32, 3}, 0f, 0, FLOAT32, true);
        ModelFile m = ModelFile.parse(ByteBuffer.wrap(model), "large.tflite");
        assertEquals(json, m.spec().json());
    }

    @Test
    public void aModelWithoutSpecSaysSo() {
        byte[] model = FlatModel.model(null, FLOAT32, new int[] {1, 32, 32, 3}, 0f, 0, FLOAT32, false);
        ModelFile m = ModelFile.parse(model, "plain.tflite");
        assertFalse(m.hasSpec());
        try {
            m.spec();
            fail("no exception");
        } catch (ModelFileException e) {
            assertEquals("plain.tflite: .tflite has no fracture-edge spec (metadata 'fracture_edge.spec'); "
                    + "export it with `fracture-edge export`", e.getMessage());
        }
    }

    @Test
    public void notAModelOrTruncatedIsAClearError() {
        expect("not a model at all".getBytes(StandardCharsets.UTF_8), "x.tflite: not a .tflite model (no TFL3 identifier)");
        byte[] model = FlatModel.model(Specs.floatUnfused(32), FLOAT32, new int[] {1, 32, 32, 3}, 0f, 0, FLOAT32, false);
        expect(Arrays.copyOf(model, 40), "x.tflite: corrupt .tflite flatbuffer");
        byte[] bad = model.clone();
        bad[0] = (byte) 0xF0; // root offset beyond the end
        expect(bad, "x.tflite: corrupt .tflite flatbuffer");
    }

    @Test
    public void classifierChecksTheModelAgainstItsSpecAndPostprocesses() {
        byte[] model = FlatModel.model(Specs.uint8Unfused(32), UINT8, new int[] {1, 32, 32, 3}, 0.00390625f, 0, UINT8, false);
        final ModelInput[] seen = new ModelInput[1];
        Classifier c = new Classifier(ModelFile.parse(model, "m"), x -> {
            seen[0] = x;
            return 192;
        });
        Classifier.Prediction p = c.classify(new Pixels(40, 30, 1, new byte[1200]));
        assertEquals("uint8", seen[0].dtype);
        assertEquals(0.75, p.probability, 0);
        assertEquals("fractured", p.label);
        assertEquals(192, p.rawOutput, 0);
        assertEquals(3072, seen[0].toByteBuffer().capacity());

        byte[] wrong = FlatModel.model(Specs.uint8Unfused(32), FLOAT32, new int[] {1, 32, 32, 3}, 0f, 0, FLOAT32, false);
        try {
            new Classifier(ModelFile.parse(wrong, "w.tflite"), x -> 0);
            fail("no exception");
        } catch (ModelFileException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("model input [1, 32, 32, 3] float32 does not match its spec"));
        }
    }

    @Test
    public void temperatureAndThreshold() {
        Spec s = Spec.fromJson(Specs.json(32, "float32", "null", "[]", "").replace("\"temperature\": 1.0", "\"temperature\": 2.0"));
        double p = Postprocessor.calibrated(0.9, s);
        assertEquals(1.0 / (1.0 + Math.exp(-Math.log(9.0) / 2.0)), p, 1e-15);
        assertEquals("not fractured", Postprocessor.label(0.4999, s));
        assertEquals("fractured", Postprocessor.label(0.5, s));
        assertEquals(-0.5f, Postprocessor.dequantize(-3, new ModelFile.TensorInfo("int8", new int[] {1, 1}, 0.25f, -1)), 0);
    }

    private static void expect(byte[] data, String message) {
        try {
            ModelFile.parse(data, "x.tflite");
            fail("no exception");
        } catch (ModelFileException e) {
            assertEquals(message, e.getMessage());
        }
    }
}
