"""Join two TFLite models into one graph: a float preprocessing model feeding a network.

Why: the fused int8 export must keep Canny in float (its magnitudes reach 1020 and its
comparisons break under int8 scales; the converter also crashes calibrating its WHILE loop),
while the network is fully int8. Each part is converted on its own, then the network's
operators are appended to the preprocessing model's main subgraph with its input tensor
replaced by the preprocessing output. Buffers, tensors and operator codes are re-indexed;
nothing is re-quantised, so each part is exactly what its own conversion produced.
"""

from __future__ import annotations


def stitch(pre_bytes: bytes, net_bytes: bytes) -> bytes:
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    pre = fbu.convert_bytearray_to_object(bytearray(pre_bytes))
    net = fbu.convert_bytearray_to_object(bytearray(net_bytes))
    if len(net.subgraphs) != 1:
        raise ValueError("the network must have a single subgraph to be stitched")
    main, body = pre.subgraphs[0], net.subgraphs[0]
    if len(main.outputs) != 1 or len(body.inputs) != 1:
        raise ValueError("stitching needs one preprocessing output and one network input")

    # Buffers: index 0 is the shared empty sentinel in both models.
    buffer_map = {0: 0}
    for i, b in enumerate(net.buffers[1:], start=1):
        buffer_map[i] = len(pre.buffers)
        pre.buffers.append(b)

    opcode_map = {}
    for i, code in enumerate(net.operatorCodes):
        key = (code.builtinCode, code.deprecatedBuiltinCode, code.customCode, code.version)
        for j, existing in enumerate(pre.operatorCodes):
            if (existing.builtinCode, existing.deprecatedBuiltinCode, existing.customCode,
                    existing.version) == key:
                opcode_map[i] = j
                break
        else:
            opcode_map[i] = len(pre.operatorCodes)
            pre.operatorCodes.append(code)

    joint = main.outputs[0]
    tensor_map = {body.inputs[0]: joint}
    for i, t in enumerate(body.tensors):
        if i == body.inputs[0]:
            continue
        t.buffer = buffer_map[t.buffer]
        tensor_map[i] = len(main.tensors)
        main.tensors.append(t)
    for op in body.operators:
        op.opcodeIndex = opcode_map[op.opcodeIndex]
        op.inputs = [tensor_map[i] if i >= 0 else i for i in op.inputs]
        op.outputs = [tensor_map[i] for i in op.outputs]
        if op.intermediates is not None:
            op.intermediates = [tensor_map[i] for i in op.intermediates]
        main.operators.append(op)
    main.outputs = [tensor_map[o] for o in body.outputs]
    for sig in pre.signatureDefs or []:
        if sig.subgraphIndex == 0:
            for out, idx in zip(sig.outputs, main.outputs):
                out.tensorIndex = idx
    return fbu.convert_object_to_bytearray(pre)
