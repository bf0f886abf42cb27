package org.fractureedge.core;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A golden folder written by fracture_edge/core/golden.py: decoded pixels, a spec, and the arrays
 * Python's preprocessing made of them. The folder is the system property {@code golden.dir}
 * (default: the small committed set in src/test/resources/golden).
 */
final class Golden {
    static final String DEFAULT_DIR = "src/test/resources/golden";
    /** Tolerance for float32 tensors (the port computes in float32 too, so it is usually 0). */
    static final double FLOAT_TOL = 1e-6;

    final File root;
    final Map<String, Object> index;

    Golden(File root) throws IOException {
        this.root = root;
        File f = new File(root, "index.json");
        if (!f.isFile()) {
            throw new IOException("no golden index at " + f.getAbsolutePath()
                    + " (write one with: python -m fracture_edge.core.golden --out DIR)");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8));
        if (!"fracture-edge golden".equals(m.get("format")) || ((Double) m.get("version")) != 1) {
            throw new IOException(f + ": not a version 1 fracture-edge golden index");
        }
        this.index = m;
    }

    static Golden load() throws IOException {
        return new Golden(new File(System.getProperty("golden.dir", DEFAULT_DIR)));
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> cases() {
        return (List<Map<String, Object>>) index.get("cases");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> image(String name) {
        for (Object o : (List<Object>) index.get("images")) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (name.equals(m.get("name"))) {
                return m;
            }
        }
        throw new IllegalArgumentException("golden image not found: " + name);
    }

    /** The spec a case names, from the index's table of specs. */
    @SuppressWarnings("unchecked")
    Spec spec(Map<String, Object> c) {
        Map<String, Object> specs = (Map<String, Object>) index.get("specs");
        return Spec.fromMap((Map<String, Object>) specs.get((String) c.get("spec")));
    }

    Pixels pixels(String imageName) throws IOException {
        Map<String, Object> m = image(imageName);
        int[] shape = shape(m);
        return new Pixels(shape[1], shape[0], shape.length == 3 ? shape[2] : 1, bytes(m));
    }

    byte[] bytes(Map<String, Object> entry) throws IOException {
        return Files.readAllBytes(new File(root, (String) entry.get("file")).toPath());
    }

    static int[] shape(Map<String, Object> entry) {
        List<?> l = (List<?>) entry.get("shape");
        int[] s = new int[l.size()];
        for (int k = 0; k < s.length; k++) {
            s[k] = ((Double) l.get(k)).intValue();
        }
        return s;
    }

    /** The expected array as doubles (uint8 unsigned, int8 signed, float32 widened). */
    double[] values(Map<String, Object> entry) throws IOException {
        byte[] raw = bytes(entry);
        String dtype = (String) entry.get("dtype");
        double[] out;
        switch (dtype) {
            case "uint8":
                out = new double[raw.length];
                for (int k = 0; k < raw.length; k++) {
                    out[k] = raw[k] & 0xFF;
                }
                return out;
            case "int8":
                out = new double[raw.length];
                for (int k = 0; k < raw.length; k++) {
                    out[k] = raw[k];
                }
                return out;
            case "float32":
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                out = new double[raw.length / 4];
                for (int k = 0; k < out.length; k++) {
                    out[k] = b.getFloat();
                }
                return out;
            default:
                throw new IOException("unknown golden dtype " + dtype);
        }
    }

    static double[] values(byte[] unsigned) {
        double[] out = new double[unsigned.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = unsigned[k] & 0xFF;
        }
        return out;
    }

    static double[] values(ModelInput x) {
        double[] out = new double[x.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = x.get(k);
        }
        return out;
    }

    /**
     * Null when {@code actual} matches {@code expected} (exactly, or within {@code tol}); else a
     * message naming the first differing element and how many differ.
     */
    static String compare(String what, double[] expected, double[] actual, int[] shape, double tol) {
        if (expected.length != actual.length) {
            return what + ": " + actual.length + " elements, expected " + expected.length;
        }
        int bad = 0;
        int first = -1;
        for (int k = 0; k < expected.length; k++) {
            if (!(Math.abs(expected[k] - actual[k]) <= tol)) {
                if (first < 0) {
                    first = k;
                }
                bad++;
            }
        }
        if (bad == 0) {
            return null;
        }
        return what + ": " + bad + " of " + expected.length + " elements differ; first at " + where(first, shape)
                + ": expected " + expected[first] + ", got " + actual[first];
    }

    private static String where(int k, int[] shape) {
        List<Integer> idx = new ArrayList<>();
        for (int d = shape.length - 1; d >= 0; d--) {
            idx.add(0, k % shape[d]);
            k /= shape[d];
        }
        return "index " + idx;
    }
}
