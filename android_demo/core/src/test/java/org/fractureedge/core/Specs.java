package org.fractureedge.core;

/** Spec JSON texts for tests, as fracture_edge/core/spec.py writes them. */
final class Specs {
    private Specs() {
    }

    static String json(int size, String dtype, String quantization, String inGraph, String extra) {
        return "{\n"
                + "  \"schema\": \"fracture_edge.spec\",\n"
                + "  \"version\": 1,\n"
                + "  \"input\": {\"height\": " + size + ", \"width\": " + size + ", \"dtype\": \"" + dtype
                + "\", \"quantization\": " + quantization + "},\n"
                + "  \"grayscale\": {\"weights\": [0.299, 0.587, 0.114], \"fixed_point_bits\": 14},\n"
                + "  \"resize\": {\"interpolation\": \"linear\"},\n"
                + "  \"clahe\": null,\n"
                + "  \"blur\": null,\n"
                + "  \"canny\": {\"low\": 50.0, \"high\": 150.0, \"aperture\": 3, \"l2_gradient\": false},\n"
                + "  \"fusion\": [\"gray\", \"edges\", \"gray\"],\n"
                + "  \"normalize\": {\"scale\": \"1/255\", \"mean\": [0.0, 0.0, 0.0], \"std\": [1.0, 1.0, 1.0]},\n"
                + "  \"in_graph\": " + inGraph + ",\n"
                + "  \"labels\": [\"not fractured\", \"fractured\"],\n"
                + "  \"positive_label\": \"fractured\",\n"
                + "  \"threshold\": 0.5,\n"
                + "  \"temperature\": 1.0" + extra + "\n"
                + "}";
    }

    /** An operating point as train --operating-point writes one (made-up numbers). */
    static final String OPERATING_POINT = "{\"target_sensitivity\": 0.95, \"confidence\": 0.9, \"sensitivity\": 0.9612,"
            + " \"sensitivity_interval\": [0.951, 0.978], \"specificity\": 0.4304, \"specificity_interval\": [0.371, 0.492]}";

    static String withOperatingPoint(String op) {
        return json(32, "float32", "null", "[]", ",\n  \"operating_point\": " + op);
    }

    static String floatUnfused(int size) {
        return json(size, "float32", "null", "[]", "");
    }

    static String uint8Unfused(int size) {
        return json(size, "uint8", "{\"scale\": 0.003921568859368563, \"zero_point\": 0}", "[]", "");
    }

    static String uint8Fused(int size) {
        return json(size, "uint8", "{\"scale\": 1.0, \"zero_point\": 0}", "[\"canny\", \"fusion\", \"normalize\"]", "");
    }
}
