package org.fractureedge.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes small .tflite flatbuffers for tests: a model with one subgraph (input and output
 * tensor), a metadata list and buffers, laid out front to back (every offset points forward).
 */
final class FlatModel {
    /** A flatbuffer value: table, vector, string or scalar. */
    abstract static class Node {
    }

    static final class Scalar extends Node {
        final int size;
        final long bits;

        Scalar(int size, long bits) {
            this.size = size;
            this.bits = bits;
        }
    }

    static final class Table extends Node {
        final List<Object[]> fields = new ArrayList<>();

        Table put(int index, Node value) {
            fields.add(new Object[] {index, value});
            return this;
        }
    }

    static final class Vec extends Node {
        final List<Node> items;
        final int elemSize; // 0: references to tables or strings

        Vec(int elemSize, List<Node> items) {
            this.elemSize = elemSize;
            this.items = items;
        }
    }

    static final class Str extends Node {
        final byte[] utf8;

        Str(String s) {
            utf8 = s.getBytes(StandardCharsets.UTF_8);
        }
    }

    static Scalar u8(int v) {
        return new Scalar(1, v);
    }

    static Scalar u32(long v) {
        return new Scalar(4, v);
    }

    static Scalar u64(long v) {
        return new Scalar(8, v);
    }

    static Vec bytes(byte[] b) {
        List<Node> l = new ArrayList<>();
        for (byte x : b) {
            l.add(u8(x));
        }
        return new Vec(1, l);
    }

    static Vec ints(int... v) {
        List<Node> l = new ArrayList<>();
        for (int x : v) {
            l.add(u32(x));
        }
        return new Vec(4, l);
    }

    static Vec refs(Node... n) {
        return new Vec(0, Arrays.asList(n));
    }

    private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int pos;

    static byte[] write(Table root, byte[] trailer) {
        FlatModel w = new FlatModel();
        w.pos = 8;
        w.buf.put(4, (byte) 'T').put(5, (byte) 'F').put(6, (byte) 'L').put(7, (byte) '3');
        int r = w.node(root);
        w.buf.putInt(0, r);
        byte[] out = Arrays.copyOf(w.buf.array(), w.pos + trailer.length);
        System.arraycopy(trailer, 0, out, w.pos, trailer.length);
        return out;
    }

    private void align(int a) {
        pos = (pos + a - 1) / a * a;
    }

    private int node(Node n) {
        if (n instanceof Table) {
            return table((Table) n);
        }
        if (n instanceof Str) {
            byte[] b = ((Str) n).utf8;
            align(4);
            int start = pos;
            buf.putInt(pos, b.length);
            for (int k = 0; k < b.length; k++) {
                buf.put(pos + 4 + k, b[k]);
            }
            pos += 4 + b.length + 1;
            return start;
        }
        Vec v = (Vec) n;
        int es = v.elemSize == 0 ? 4 : v.elemSize;
        align(Math.max(4, es));
        if (es == 8) {
            pos += 4; // so the elements after the length word are 8-aligned
        }
        int start = pos;
        buf.putInt(pos, v.items.size());
        pos += 4;
        int[] slots = new int[v.items.size()];
        for (int k = 0; k < slots.length; k++) {
            slots[k] = pos;
            if (v.elemSize == 0) {
                pos += 4;
            } else {
                putScalar((Scalar) v.items.get(k));
            }
        }
        if (v.elemSize == 0) {
            for (int k = 0; k < slots.length; k++) {
                int child = node(v.items.get(k));
                buf.putInt(slots[k], child - slots[k]);
            }
        }
        return start;
    }

    private void putScalar(Scalar s) {
        align(s.size);
        switch (s.size) {
            case 1: buf.put(pos, (byte) s.bits); break;
            case 4: buf.putInt(pos, (int) s.bits); break;
            default: buf.putLong(pos, s.bits); break;
        }
        pos += s.size;
    }

    private int table(Table t) {
        int n = 0;
        for (Object[] f : t.fields) {
            n = Math.max(n, (Integer) f[0] + 1);
        }
        align(2);
        int vt = pos;
        pos += 4 + 2 * n;
        align(8);
        int start = pos;
        buf.putInt(start, start - vt);
        pos += 4;
        List<int[]> refs = new ArrayList<>();
        List<Node> children = new ArrayList<>();
        for (Object[] f : t.fields) {
            int index = (Integer) f[0];
            Node v = (Node) f[1];
            if (v instanceof Scalar) {
                putScalar((Scalar) v);
                buf.putShort(vt + 4 + 2 * index, (short) (pos - ((Scalar) v).size - start));
            } else {
                align(4);
                buf.putShort(vt + 4 + 2 * index, (short) (pos - start));
                refs.add(new int[] {pos});
                children.add(v);
                pos += 4;
            }
        }
        buf.putShort(vt, (short) (4 + 2 * n));
        buf.putShort(vt + 2, (short) (pos - start));
        for (int k = 0; k < children.size(); k++) {
            int child = node(children.get(k));
            buf.putInt(refs.get(k)[0], child - refs.get(k)[0]);
        }
        return start;
    }

    /** A model whose input is {@code inType} of {@code inShape} and whose output is one value. */
    static byte[] model(String specJson, int inType, int[] inShape, float outScale, long outZero, int outType,
                        boolean largeLayout) {
        Table quant = new Table()
                .put(2, new Vec(4, Arrays.<Node>asList(u32(Float.floatToIntBits(outScale)))))
                .put(3, new Vec(8, Arrays.<Node>asList(u64(outZero))));
        Table input = new Table().put(0, ints(inShape)).put(1, u8(inType));
        Table output = new Table().put(0, ints(1, 1)).put(1, u8(outType)).put(4, quant);
        Table graph = new Table().put(0, refs(input, output)).put(1, ints(0)).put(2, ints(1));
        Table model = new Table().put(0, u32(3)).put(2, refs(graph));
        byte[] trailer = new byte[0];
        if (specJson == null) {
            model.put(4, refs(new Table()));
        } else {
            byte[] json = specJson.getBytes(StandardCharsets.UTF_8);
            Table data;
            if (largeLayout) {
                data = new Table().put(1, u64(-1)).put(2, u64(json.length)); // offset patched below
                trailer = json;
            } else {
                data = new Table().put(0, bytes(json));
            }
            model.put(4, refs(new Table(), new Table().put(0, bytes(new byte[] {1, 2})), data));
            model.put(6, refs(new Table().put(0, new Str("min_runtime_version")).put(1, u32(1)),
                    new Table().put(0, new Str(ModelFile.METADATA_NAME)).put(1, u32(2))));
        }
        byte[] out = write(model, trailer);
        if (largeLayout && specJson != null) {
            // Point the buffer's offset at the trailer: find the placeholder -1 and replace it.
            ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
            for (int p = 8; p + 8 <= out.length - trailer.length; p += 8) {
                if (b.getLong(p) == -1L) {
                    b.putLong(p, out.length - trailer.length);
                    break;
                }
            }
        }
        return out;
    }
}
