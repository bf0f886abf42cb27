package org.fractureedge.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The model's input tensor (H, W, C), row-major with channels last: float32 values in
 * {@link #floats}, or uint8/int8 values in {@link #bytes} (uint8 read as {@code b & 0xFF}).
 */
public final class ModelInput {
    public final String dtype;
    public final int[] shape;
    public final float[] floats;
    public final byte[] bytes;

    ModelInput(int[] shape, float[] floats) {
        this.dtype = "float32";
        this.shape = shape;
        this.floats = floats;
        this.bytes = null;
    }

    ModelInput(String dtype, int[] shape, byte[] bytes) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = null;
        this.bytes = bytes;
    }

    public int size() {
        return shape[0] * shape[1] * shape[2];
    }

    /** Element {@code k} as a number (uint8 unsigned, int8 signed). */
    public double get(int k) {
        if (floats != null) {
            return floats[k];
        }
        return dtype.equals("uint8") ? bytes[k] & 0xFF : bytes[k];
    }

    /** A direct buffer in native order, batch 1, ready for a LiteRT interpreter. */
    public ByteBuffer toByteBuffer() {
        ByteBuffer b = ByteBuffer.allocateDirect(floats != null ? 4 * floats.length : bytes.length)
                .order(ByteOrder.nativeOrder());
        if (floats != null) {
            b.asFloatBuffer().put(floats);
        } else {
            b.put(bytes);
        }
        b.rewind();
        return b;
    }
}
