package org.fractureedge.core;

import java.util.Arrays;

/**
 * The whole path but decoding and display: model file and spec, preprocessing, inference through
 * a {@link Runner} (LiteRT on Android, anything in tests), post-processing.
 */
public final class Classifier {
    /** Runs batch-1 inference; returns the first element of the output tensor as stored. */
    public interface Runner {
        /**
         * @return the output value: a float for float32 outputs, 0..255 for uint8, -128..127 for int8
         */
        double run(ModelInput input);
    }

    /** What the screen shows. */
    public static final class Prediction {
        public final double probability;
        public final String label;
        public final double rawOutput;
        public final double preprocessMs;
        public final double inferenceMs;

        public Prediction(double probability, String label, double rawOutput, double preprocessMs, double inferenceMs) {
            this.probability = probability;
            this.label = label;
            this.rawOutput = rawOutput;
            this.preprocessMs = preprocessMs;
            this.inferenceMs = inferenceMs;
        }
    }

    private final ModelFile model;
    private final Spec spec;
    private final Preprocessor preprocessor;
    private final Runner runner;

    /** Reads and checks the spec; throws {@link FractureEdgeException} with a message for the screen. */
    public Classifier(ModelFile model, Runner runner) {
        this.model = model;
        this.spec = model.spec();
        this.preprocessor = new Preprocessor(spec);
        this.runner = runner;
        ModelFile.TensorInfo in = model.input();
        int[] expected = {1, spec.height, spec.width, spec.inputChannels()};
        if (!Arrays.equals(in.shape, expected) || !in.dtype.equals(spec.inputDtype)) {
            throw new ModelFileException(model.name() + ": model input " + Arrays.toString(in.shape) + " " + in.dtype
                    + " does not match its spec " + Arrays.toString(expected) + " " + spec.inputDtype);
        }
        String out = model.output().dtype;
        if (!out.equals("float32") && !out.equals("uint8") && !out.equals("int8")) {
            throw new ModelFileException(model.name() + ": model output type " + out + " is not supported");
        }
    }

    public Spec spec() {
        return spec;
    }

    public Preprocessor preprocessor() {
        return preprocessor;
    }

    public ModelFile model() {
        return model;
    }

    public Prediction classify(Pixels pixels) {
        long t0 = System.nanoTime();
        ModelInput x = preprocessor.run(pixels);
        long t1 = System.nanoTime();
        double raw = runner.run(x);
        long t2 = System.nanoTime();
        double prob = probability(raw);
        return new Prediction(prob, Postprocessor.label(prob, spec), raw, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }

    /** Raw output value to the calibrated probability of the positive class. */
    public double probability(double raw) {
        ModelFile.TensorInfo out = model.output();
        double p = out.dtype.equals("float32") ? (float) raw : Postprocessor.dequantize((long) raw, out);
        return Postprocessor.calibrated(p, spec);
    }
}
