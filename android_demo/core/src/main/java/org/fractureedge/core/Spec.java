package org.fractureedge.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PreprocessSpec version 1, read from the JSON that export embeds in the .tflite (see
 * fracture_edge/core/spec.py, the reference). Unknown versions and unknown fields are refused, as in
 * Python, so a newer spec never runs with steps silently ignored.
 */
public final class Spec {
    public static final String SCHEMA = "fracture_edge.spec";
    public static final int VERSION = 1;
    static final List<String> STEPS = Arrays.asList(
            "grayscale", "resize", "clahe", "blur", "canny", "fusion", "normalize", "quantize");
    static final List<String> GRAPH_STEPS = Arrays.asList("canny", "fusion", "normalize");

    /** cv2.Canny parameters. */
    public static final class Canny {
        public final double low;
        public final double high;
        public final int aperture;
        public final boolean l2Gradient;

        Canny(double low, double high, int aperture, boolean l2Gradient) {
            this.low = low;
            this.high = high;
            this.aperture = aperture;
            this.l2Gradient = l2Gradient;
        }
    }

    /** Affine input quantisation: q = clip(rint(x / scale) + zeroPoint). */
    public static final class Quantization {
        public final double scale;
        public final int zeroPoint;

        Quantization(double scale, int zeroPoint) {
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }
    }

    /**
     * The spec's optional {@code operating_point} (fracture_edge/core/spec.py, OperatingPoint): the
     * threshold is the highest at which the family-bootstrap lower bound of sensitivity, one-sided
     * at {@code confidence}, reaches {@code targetSensitivity}; sensitivity and specificity are
     * what cross-validation gave there, each interval's ends one-sided bounds at {@code confidence}.
     * Checked as strictly as in Python: every field, numbers only, in range.
     */
    public static final class OperatingPoint {
        public final double targetSensitivity;
        public final double confidence;
        public final double sensitivity;
        public final double[] sensitivityInterval;
        public final double specificity;
        public final double[] specificityInterval;

        private OperatingPoint(Map<String, Object> m) {
            targetSensitivity = number(m, "target_sensitivity");
            confidence = number(m, "confidence");
            sensitivity = number(m, "sensitivity");
            specificity = number(m, "specificity");
            sensitivityInterval = interval(m, "sensitivity_interval");
            specificityInterval = interval(m, "specificity_interval");
            if (!(0 < targetSensitivity && targetSensitivity <= 1)) {
                fail("target_sensitivity", "must lie in (0, 1]");
            }
            if (!(0.5 < confidence && confidence < 1)) {
                fail("confidence", "must lie in (0.5, 1)");
            }
            if (!(0 <= sensitivity && sensitivity <= 1)) {
                fail("sensitivity", "must lie in [0, 1]");
            }
            if (!(0 <= specificity && specificity <= 1)) {
                fail("specificity", "must lie in [0, 1]");
            }
        }

        static OperatingPoint read(Object v) {
            Map<String, Object> m = sub(v, "operating_point", "target_sensitivity", "confidence", "sensitivity",
                    "sensitivity_interval", "specificity", "specificity_interval");
            return m == null ? null : new OperatingPoint(m);
        }

        private static Object field(Map<String, Object> m, String key) {
            if (!m.containsKey(key)) {
                throw new SpecException("spec is missing field 'operating_point." + key + "'");
            }
            return m.get(key);
        }

        private static double number(Map<String, Object> m, String key) {
            Object v = field(m, key);
            if (!(v instanceof Double)) {
                fail(key, "must be a number");
            }
            return (Double) v;
        }

        private static double[] interval(Map<String, Object> m, String key) {
            Object v = field(m, key);
            if (!(v instanceof List) || ((List<?>) v).size() != 2 || !(((List<?>) v).get(0) instanceof Double)
                    || !(((List<?>) v).get(1) instanceof Double)) {
                fail(key, "must be two numbers");
            }
            double[] out = {(Double) ((List<?>) v).get(0), (Double) ((List<?>) v).get(1)};
            if (!(0 <= out[0] && out[0] <= out[1] && out[1] <= 1)) {
                fail(key, "needs 0 <= low <= high <= 1");
            }
            return out;
        }

        private static void fail(String key, String msg) {
            throw new SpecException("invalid spec: operating_point." + key + " " + msg);
        }
    }

    public final int height;
    public final int width;
    public final String inputDtype;
    public final Quantization inputQuantization;
    public final double[] grayWeights;
    public final String interpolation;
    /** CLAHE and blur are kept as their raw JSON objects: this core refuses to run them. */
    public final Map<String, Object> clahe;
    public final Map<String, Object> blur;
    public final Canny canny;
    public final List<String> fusion;
    public final double[] mean;
    public final double[] std;
    public final List<String> inGraph;
    public final List<String> labels;
    public final String positiveLabel;
    public final double threshold;
    public final double temperature;
    /** What cross-validation promises at {@link #threshold}; null when the spec carries none. */
    public final OperatingPoint operatingPoint;
    private final String json;

    private Spec(Map<String, Object> d, String json) {
        this.json = json;
        if (!SCHEMA.equals(d.get("schema"))) {
            throw new SpecException("not a fracture-edge spec (schema " + repr(d.get("schema"))
                    + ", expected '" + SCHEMA + "')");
        }
        Object version = d.get("version");
        if (!(version instanceof Double) || (Double) version != VERSION) {
            throw new SpecException("unsupported spec version " + repr(version)
                    + ": this fracture-edge core reads version " + VERSION);
        }
        noUnknown(d, "spec", "schema", "version", "input", "grayscale", "resize", "clahe", "blur",
                "canny", "fusion", "normalize", "in_graph", "labels", "positive_label", "threshold",
                "temperature", "operating_point");
        Map<String, Object> input = section(d, "input", "height", "width", "dtype", "quantization");
        Map<String, Object> gray = section(d, "grayscale", "weights", "fixed_point_bits");
        Map<String, Object> resize = section(d, "resize", "interpolation");
        Map<String, Object> norm = section(d, "normalize", "scale", "mean", "std");
        if (gray.containsKey("fixed_point_bits") && num(gray.get("fixed_point_bits"), "grayscale.fixed_point_bits") != 14) {
            throw new SpecException("spec.grayscale.fixed_point_bits must be 14");
        }
        if (norm.containsKey("scale") && !"1/255".equals(norm.get("scale"))) {
            throw new SpecException("spec.normalize.scale must be '1/255'");
        }
        height = integer(required(input, "height", "input"), "input.height");
        width = integer(required(input, "width", "input"), "input.width");
        inputDtype = str(input.getOrDefault("dtype", "float32"), "input.dtype");
        Map<String, Object> q = sub(input.get("quantization"), "input.quantization", "scale", "zero_point");
        inputQuantization = q == null ? null : new Quantization(
                num(required(q, "scale", "input.quantization"), "input.quantization.scale"),
                integer(required(q, "zero_point", "input.quantization"), "input.quantization.zero_point"));
        grayWeights = gray.containsKey("weights") ? doubles(gray.get("weights"), "grayscale.weights")
                : new double[] {0.299, 0.587, 0.114};
        interpolation = str(resize.getOrDefault("interpolation", "linear"), "resize.interpolation");
        clahe = sub(d.get("clahe"), "clahe", "clip_limit", "tile_grid");
        blur = sub(d.get("blur"), "blur", "ksize", "sigma");
        Map<String, Object> c = sub(d.get("canny"), "canny", "low", "high", "aperture", "l2_gradient");
        canny = c == null ? null : new Canny(
                num(c.getOrDefault("low", 50.0), "canny.low"),
                num(c.getOrDefault("high", 150.0), "canny.high"),
                integer(c.getOrDefault("aperture", 3.0), "canny.aperture"),
                bool(c.getOrDefault("l2_gradient", Boolean.FALSE), "canny.l2_gradient"));
        fusion = strings(d.get("fusion"), "fusion");
        mean = norm.containsKey("mean") ? doubles(norm.get("mean"), "normalize.mean") : new double[0];
        std = norm.containsKey("std") ? doubles(norm.get("std"), "normalize.std") : new double[0];
        inGraph = d.containsKey("in_graph") ? strings(d.get("in_graph"), "in_graph") : Collections.emptyList();
        labels = strings(required(d, "labels", "spec"), "labels");
        positiveLabel = str(required(d, "positive_label", "spec"), "positive_label");
        threshold = num(d.getOrDefault("threshold", 0.5), "threshold");
        temperature = num(d.getOrDefault("temperature", 1.0), "temperature");
        operatingPoint = OperatingPoint.read(d.get("operating_point"));
        validate();
    }

    /** Parse and validate the spec's JSON text. */
    public static Spec fromJson(String text) {
        Object d = Json.parse(text);
        if (!(d instanceof Map)) {
            throw new SpecException("spec must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) d;
        return new Spec(m, text);
    }

    /** A spec from already-parsed JSON (golden index files embed specs as objects). */
    static Spec fromMap(Map<String, Object> d) {
        return new Spec(d, null);
    }

    public static Spec fromJson(byte[] utf8) {
        return fromJson(new String(utf8, StandardCharsets.UTF_8));
    }

    /** The JSON this spec was read from. */
    public String json() {
        return json;
    }

    /** True when the model runs Canny, fusion and normalisation itself and takes grayscale pixels. */
    public boolean fused() {
        return !inGraph.isEmpty();
    }

    /** Channels of the model input tensor: 1 for a fused model, else one per fused channel. */
    public int inputChannels() {
        return fused() ? 1 : fusion.size();
    }

    public int[] inputShape() {
        return new int[] {height, width, inputChannels()};
    }

    public int positiveIndex() {
        return labels.indexOf(positiveLabel);
    }

    /** Steps the app must run before handing the tensor to the model, in order. */
    public List<String> hostSteps() {
        List<String> out = new ArrayList<>();
        for (String s : STEPS) {
            if (!inGraph.contains(s) && active(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private boolean active(String step) {
        switch (step) {
            case "clahe": return clahe != null;
            case "blur": return blur != null;
            case "canny": return canny != null;
            case "quantize": return inputQuantization != null;
            default: return true;
        }
    }

    /** The grayscale weights in 14-bit fixed point, green taking the remainder (as preprocess.py). */
    public int[] fixedPointWeights() {
        int r = (int) Math.rint(grayWeights[0] * (1 << 14));
        int b = (int) Math.rint(grayWeights[2] * (1 << 14));
        return new int[] {r, (1 << 14) - r - b, b};
    }

    private void validate() {
        if (height < 16 || width < 16) {
            fail("input size " + height + "x" + width + " is below 16");
        }
        if (grayWeights.length != 3 || Math.abs(grayWeights[0] + grayWeights[1] + grayWeights[2] - 1.0) > 1e-6) {
            fail("grayscale weights must be three numbers summing to 1");
        }
        if (!Arrays.asList("linear", "area", "nearest").contains(interpolation)) {
            fail("interpolation '" + interpolation + "' not one of linear, area, nearest");
        }
        if (fusion.isEmpty()) {
            fail("fusion must list channels from gray, edges");
        }
        for (String ch : fusion) {
            if (!ch.equals("gray") && !ch.equals("edges")) {
                fail("fusion " + fusion + " must list channels from gray, edges");
            }
        }
        if (fusion.contains("edges") && canny == null) {
            fail("fusion uses 'edges' but canny is null");
        }
        if (mean.length != fusion.size() || std.length != fusion.size()) {
            fail("normalize mean/std need one value per fused channel");
        }
        for (double v : std) {
            if (v <= 0) {
                fail("normalize std must be positive");
            }
        }
        if (canny != null) {
            if (canny.aperture != 3 && canny.aperture != 5 && canny.aperture != 7) {
                fail("canny aperture must be 3, 5 or 7");
            }
            if (!(0 <= canny.low && canny.low <= canny.high)) {
                fail("canny thresholds need 0 <= low <= high");
            }
        }
        if (!Arrays.asList("float32", "uint8", "int8").contains(inputDtype)) {
            fail("input dtype '" + inputDtype + "' not one of float32, uint8, int8");
        }
        if (inputDtype.equals("float32") != (inputQuantization == null)) {
            fail("input quantization is required for integer inputs and forbidden for float32");
        }
        if (!inGraph.isEmpty()) {
            int start = GRAPH_STEPS.indexOf(inGraph.get(0));
            if (start < 0 || !inGraph.equals(GRAPH_STEPS.subList(start, GRAPH_STEPS.size()))) {
                fail("in_graph must be a trailing run of canny, fusion, normalize, got " + inGraph);
            }
        }
        if (labels.size() != 2 || !labels.contains(positiveLabel)) {
            fail("labels must be two names and include positive_label");
        }
        if (!(0.0 <= threshold && threshold <= 1.0)) {
            fail("threshold must lie in [0, 1]");
        }
        if (!(temperature > 0)) {
            fail("temperature must be positive");
        }
    }

    private static void fail(String msg) {
        throw new SpecException("invalid spec: " + msg);
    }

    // ------------------------------------------------------------------ JSON helpers
    private static void noUnknown(Map<String, Object> d, String where, String... allowed) {
        Set<String> ok = new HashSet<>(Arrays.asList(allowed));
        List<String> unknown = new ArrayList<>();
        for (String k : d.keySet()) {
            if (!ok.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            Collections.sort(unknown);
            throw new SpecException("unknown field(s) in " + where + ": " + String.join(", ", unknown));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> d, String key, String... allowed) {
        Object sec = d.get(key);
        if (!(sec instanceof Map)) {
            throw new SpecException("spec." + key + " must be an object");
        }
        noUnknown((Map<String, Object>) sec, "spec." + key, allowed);
        return (Map<String, Object>) sec;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sub(Object v, String where, String... allowed) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map)) {
            throw new SpecException("spec." + where + " must be an object or null");
        }
        noUnknown((Map<String, Object>) v, "spec." + where, allowed);
        return (Map<String, Object>) v;
    }

    private static Object required(Map<String, Object> d, String key, String where) {
        if (!d.containsKey(key)) {
            throw new SpecException("spec is missing field '" + key + "'");
        }
        return d.get(key);
    }

    private static double num(Object v, String where) {
        if (!(v instanceof Double)) {
            throw new SpecException("spec has a malformed value: " + where + " must be a number");
        }
        return (Double) v;
    }

    private static int integer(Object v, String where) {
        double d = num(v, where);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new SpecException("spec has a malformed value: " + where + " must be an integer");
        }
        return (int) d;
    }

    private static boolean bool(Object v, String where) {
        if (!(v instanceof Boolean)) {
            throw new SpecException("spec has a malformed value: " + where + " must be true or false");
        }
        return (Boolean) v;
    }

    private static String str(Object v, String where) {
        if (!(v instanceof String)) {
            throw new SpecException("spec has a malformed value: " + where + " must be a string");
        }
        return (String) v;
    }

    private static double[] doubles(Object v, String where) {
        if (!(v instanceof List)) {
            throw new SpecException("spec has a malformed value: " + where + " must be a list of numbers");
        }
        List<?> l = (List<?>) v;
        double[] out = new double[l.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = num(l.get(k), where);
        }
        return out;
    }

    private static List<String> strings(Object v, String where) {
        if (!(v instanceof List)) {
            throw new SpecException("spec has a malformed value: " + where + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            out.add(str(o, where));
        }
        return Collections.unmodifiableList(out);
    }

    private static String repr(Object v) {
        return v instanceof String ? "'" + v + "'" : String.valueOf(v);
    }
}
