package org.fractureedge.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads what the app needs from a .tflite flatbuffer with nothing but {@link ByteBuffer}: the
 * {@code metadata} entries (the spec is the one named {@value #METADATA_NAME}) and the type,
 * shape and quantisation of the first subgraph's input and output tensors. The reference is
 * fracture_edge/core/tflite_meta.py; field numbers are those of TFLite's schema.fbs.
 */
public final class ModelFile {
    public static final String METADATA_NAME = "fracture_edge.spec";

    // schema.fbs field indices
    private static final int MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4, MODEL_METADATA = 6;
    private static final int SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2;
    private static final int TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_QUANTIZATION = 4;
    private static final int QUANT_SCALE = 2, QUANT_ZERO_POINT = 3;
    private static final int BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2;
    private static final int METADATA_NAME_FIELD = 0, METADATA_BUFFER = 1;
    private static final String[] TENSOR_TYPES = {
        "float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16", "complex64", "int8",
        "float64", "complex128", "uint64", "resource", "variant", "uint32", "uint16", "int4", "bfloat16"};

    /** Type, shape and (per-tensor) quantisation of one tensor. */
    public static final class TensorInfo {
        public final String dtype;
        public final int[] shape;
        public final float scale;
        public final long zeroPoint;

        public TensorInfo(String dtype, int[] shape, float scale, long zeroPoint) {
            this.dtype = dtype;
            this.shape = shape;
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }
    }

    private final ByteBuffer buf;
    private final String name;
    private final Map<String, byte[]> metadata;
    private final TensorInfo input;
    private final TensorInfo output;

    private ModelFile(ByteBuffer buf, String name) {
        this.buf = buf;
        this.name = name;
        if (buf.limit() < 8 || buf.get(4) != 'T' || buf.get(5) != 'F' || buf.get(6) != 'L' || buf.get(7) != '3') {
            throw new ModelFileException(name + ": not a .tflite model (no TFL3 identifier)");
        }
        try {
            int root = u32(0);
            metadata = Collections.unmodifiableMap(readMetadata(root));
            int subgraphs = vector(root, MODEL_SUBGRAPHS);
            if (subgraphs < 0 || u32(subgraphs) == 0) {
                throw new ModelFileException(name + ": .tflite has no subgraph");
            }
            int graph = indirect(subgraphs + 4);
            input = tensor(graph, SUBGRAPH_INPUTS);
            output = tensor(graph, SUBGRAPH_OUTPUTS);
        } catch (IndexOutOfBoundsException | IllegalArgumentException ex) {
            throw new ModelFileException(name + ": corrupt .tflite flatbuffer");
        }
    }

    /** Parse a model held in memory (a memory-mapped asset, or the bytes of a file). */
    public static ModelFile parse(ByteBuffer model, String name) {
        return new ModelFile(model.duplicate().order(ByteOrder.LITTLE_ENDIAN), name);
    }

    public static ModelFile parse(byte[] model, String name) {
        return parse(ByteBuffer.wrap(model), name);
    }

    public String name() {
        return name;
    }

    /** Every metadata entry, name to buffer bytes. */
    public Map<String, byte[]> metadata() {
        return metadata;
    }

    public boolean hasSpec() {
        return metadata.containsKey(METADATA_NAME);
    }

    /** The embedded spec; a {@link ModelFileException} saying so when the model has none. */
    public Spec spec() {
        byte[] json = metadata.get(METADATA_NAME);
        if (json == null) {
            throw new ModelFileException(name + ": .tflite has no fracture-edge spec (metadata '"
                    + METADATA_NAME + "'); export it with `fracture-edge export`");
        }
        return Spec.fromJson(json);
    }

    public TensorInfo input() {
        return input;
    }

    public TensorInfo output() {
        return output;
    }

    // ------------------------------------------------------------------ flatbuffer walk
    private Map<String, byte[]> readMetadata(int root) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int mds = vector(root, MODEL_METADATA);
        int buffers = vector(root, MODEL_BUFFERS);
        if (mds < 0) {
            return out;
        }
        for (int k = 0, n = u32(mds); k < n; k++) {
            int md = indirect(mds + 4 + 4 * k);
            int nameVec = vector(md, METADATA_NAME_FIELD);
            String key = nameVec < 0 ? null : new String(bytes(nameVec + 4, u32(nameVec)), StandardCharsets.UTF_8);
            long index = scalarU32(md, METADATA_BUFFER);
            if (buffers < 0 || index >= u32(buffers)) {
                throw new IndexOutOfBoundsException("metadata buffer index");
            }
            int b = indirect(buffers + 4 + 4 * (int) index);
            long offset = scalarU64(b, BUFFER_OFFSET);
            if (offset > 1) { // large-model layout: the data lives after the flatbuffer
                long size = scalarU64(b, BUFFER_SIZE);
                out.put(key, bytes(Math.toIntExact(offset), Math.toIntExact(size)));
            } else {
                int data = vector(b, BUFFER_DATA);
                out.put(key, data < 0 ? new byte[0] : bytes(data + 4, u32(data)));
            }
        }
        return out;
    }

    private TensorInfo tensor(int graph, int which) {
        int ios = vector(graph, which);
        int tensors = vector(graph, SUBGRAPH_TENSORS);
        if (ios < 0 || u32(ios) == 0 || tensors < 0) {
            throw new ModelFileException(name + ": .tflite subgraph has no " + (which == SUBGRAPH_INPUTS ? "input" : "output"));
        }
        int index = buf.getInt(ios + 4);
        if (index < 0 || index >= u32(tensors)) {
            throw new IndexOutOfBoundsException("tensor index");
        }
        int t = indirect(tensors + 4 + 4 * index);
        int shapeVec = vector(t, TENSOR_SHAPE);
        int[] shape = new int[shapeVec < 0 ? 0 : u32(shapeVec)];
        for (int k = 0; k < shape.length; k++) {
            shape[k] = buf.getInt(shapeVec + 4 + 4 * k);
        }
        int type = field(t, TENSOR_TYPE) < 0 ? 0 : buf.get(field(t, TENSOR_TYPE));
        String dtype = type >= 0 && type < TENSOR_TYPES.length ? TENSOR_TYPES[type] : "type" + type;
        float scale = 0f;
        long zero = 0;
        int qf = field(t, TENSOR_QUANTIZATION);
        if (qf >= 0) {
            int q = qf + buf.getInt(qf);
            int scales = vector(q, QUANT_SCALE);
            int zeros = vector(q, QUANT_ZERO_POINT);
            if (scales >= 0 && u32(scales) > 0) {
                scale = buf.getFloat(scales + 4);
            }
            if (zeros >= 0 && u32(zeros) > 0) {
                zero = buf.getLong(zeros + 4);
            }
        }
        return new TensorInfo(dtype, shape, scale, zero);
    }

    /** Absolute position of a table's field, or -1 when the field is absent. */
    private int field(int table, int index) {
        int vtable = table - buf.getInt(table);
        int vtSize = buf.getShort(vtable) & 0xFFFF;
        int off = 4 + 2 * index;
        if (off >= vtSize) {
            return -1;
        }
        int rel = buf.getShort(vtable + off) & 0xFFFF;
        return rel == 0 ? -1 : table + rel;
    }

    private int indirect(int pos) {
        long target = pos + (buf.getInt(pos) & 0xFFFFFFFFL);
        if (target >= buf.limit()) {
            throw new IndexOutOfBoundsException("offset");
        }
        return (int) target;
    }

    /** Position of a vector's length word, or -1 when the field is absent. */
    private int vector(int table, int index) {
        int p = field(table, index);
        return p < 0 ? -1 : indirect(p);
    }

    private int u32(int pos) {
        int v = buf.getInt(pos);
        if (v < 0) {
            throw new IndexOutOfBoundsException("length");
        }
        return v;
    }

    private long scalarU32(int table, int index) {
        int p = field(table, index);
        return p < 0 ? 0 : buf.getInt(p) & 0xFFFFFFFFL;
    }

    private long scalarU64(int table, int index) {
        int p = field(table, index);
        return p < 0 ? 0 : buf.getLong(p);
    }

    private byte[] bytes(int pos, int n) {
        if (pos < 0 || n < 0 || (long) pos + n > buf.limit()) {
            throw new IndexOutOfBoundsException("data");
        }
        byte[] out = new byte[n];
        ByteBuffer d = buf.duplicate();
        d.position(pos);
        d.get(out);
        return out;
    }
}
