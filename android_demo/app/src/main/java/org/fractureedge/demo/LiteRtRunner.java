package org.fractureedge.demo;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.fractureedge.core.Classifier;
import org.fractureedge.core.ModelFile;
import org.fractureedge.core.ModelInput;
import org.tensorflow.lite.Interpreter;

/** Batch-1 inference with LiteRT's Interpreter API (CPU, XNNPACK); raw output as the core expects. */
final class LiteRtRunner implements Classifier.Runner, Closeable {
    private final Interpreter interpreter;
    private final String outputType;

    LiteRtRunner(ByteBuffer model, ModelFile info) {
        Interpreter.Options options = new Interpreter.Options();
        options.setNumThreads(2);
        this.interpreter = new Interpreter(model, options);
        this.outputType = info.output().dtype;
    }

    @Override
    public double run(ModelInput input) {
        boolean isFloat = outputType.equals("float32");
        ByteBuffer out = ByteBuffer.allocateDirect(isFloat ? 4 : 1).order(ByteOrder.nativeOrder());
        interpreter.run(input.toByteBuffer(), out);
        if (isFloat) {
            return out.getFloat(0);
        }
        byte b = out.get(0);
        return outputType.equals("uint8") ? b & 0xFF : b;
    }

    @Override
    public void close() {
        interpreter.close();
    }
}
