package org.fractureedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.Assume;
import org.junit.Test;

/**
 * Models exported by Python (system property models.dir, as DIR/VARIANT/model.tflite with
 * spec.json and manifest.json beside it): the Java reader finds the same spec and tensors.
 */
public class ExportedModelsTest {
    @Test
    @SuppressWarnings("unchecked")
    public void readsEveryExportedModel() throws IOException {
        String dir = System.getProperty("models.dir", "");
        Assume.assumeTrue("no models.dir given", !dir.isEmpty());
        File[] variants = new File(dir).listFiles(f -> new File(f, "model.tflite").isFile());
        assertTrue("no DIR/*/model.tflite under " + dir, variants != null && variants.length > 0);
        for (File v : variants) {
            ModelFile m = ModelFile.parse(read(new File(v, "model.tflite")), v.getName());
            Map<String, Object> embedded = (Map<String, Object>) Json.parse(m.spec().json());
            Map<String, Object> written = (Map<String, Object>) Json.parse(new String(read(new File(v, "spec.json")), StandardCharsets.UTF_8));
            assertEquals(v.getName(), written, embedded);
            Map<String, Object> manifest = (Map<String, Object>) Json.parse(new String(read(new File(v, "manifest.json")), StandardCharsets.UTF_8));
            check(v.getName() + " input", (Map<String, Object>) manifest.get("input"), m.input());
            check(v.getName() + " output", (Map<String, Object>) manifest.get("output"), m.output());
            new Classifier(m, x -> 0); // shape and dtype agree with the spec
        }
    }

    private static void check(String what, Map<String, Object> expected, ModelFile.TensorInfo t) {
        assertEquals(what, expected.get("dtype"), t.dtype);
        List<?> shape = (List<?>) expected.get("shape");
        int[] s = new int[shape.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = ((Double) shape.get(k)).intValue();
        }
        assertArrayEquals(what, s, t.shape);
        assertEquals(what, (Double) expected.get("scale"), t.scale, 0);
        assertEquals(what, ((Double) expected.get("zero_point")).longValue(), t.zeroPoint);
    }

    private static byte[] read(File f) throws IOException {
        return Files.readAllBytes(f.toPath());
    }
}
