#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_onnx (tests/fuzz/corpus/onnx) from the
fixtures: small windows of consecutive nodes cut out of every fixture network
(their own weights, inputs typed by ONNX shape inference), the MNIST model
whole, and the .tsr conversion of one window. Needs the `onnx` Python package
(e.g. the venv bench/compare-onnxruntime makes) and, for the .tsr seed, a
built `tsr`:
    gen_onnx_seeds.py MODELS_DIR OUT_DIR [TSR_BINARY]
"""
import os
import subprocess
import sys

import onnx
from onnx import helper, shape_inference

BUDGET = 20000      # initializer bytes per window
MAX_NODES = 24

WINDOWS = {  # model: node index to start windows at
    "pilotnet/nvidia_pilotnet.onnx": [0, 10],
    "yolox_nano/yolox_nano.onnx": [0, 120, 300],
    "twinlitenet/twinlitenet.onnx": [0, 100],
    "twinlitenet/twinlitenet_preprocessed_quantized.onnx": [48, 400],
    "vittrack/vitTracker.onnx": [0, 35, 49, 84, 240],
    "shufflenet-v2-12-int8/shufflenet-v2-12-int8.onnx": [0, 12, 176],
    "ultraface/version-RFB-320.onnx": [159],
}


def tensor_bytes(t):
    return len(t.raw_data) or 4 * (len(t.float_data) + len(t.int32_data)) + 8 * len(t.int64_data)


def window(model, start):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    types = {v.name: v.type for v in list(g.value_info) + list(g.input) + list(g.output)}
    nodes, used, produced, size = [], [], set(), 0
    for n in g.node[start:]:
        need = list(dict.fromkeys(x for x in n.input if x in inits and x not in used))
        extra = sum(tensor_bytes(inits[x]) for x in need)
        if nodes and (size + extra > BUDGET or len(nodes) >= MAX_NODES):
            break
        if not nodes and extra > BUDGET:
            return None
        nodes.append(n)
        used += need
        size += extra
        produced.update(o for o in n.output if o)
    inputs = []
    for n in nodes:
        for x in n.input:
            if x and x not in produced and x not in inits and x not in [i.name for i in inputs]:
                if x not in types:
                    return None
                inputs.append(helper.make_value_info(x, types[x]))
    later = set()
    for n in g.node:
        if n not in nodes:
            later.update(n.input)
    outs = [o for n in nodes for o in n.output if o and (o in later or o in [v.name for v in g.output])]
    if not outs:
        outs = [o for o in nodes[-1].output if o]
    outputs = [helper.make_value_info(o, types[o]) if o in types else helper.make_empty_tensor_value_info(o) for o in outs]
    graph = helper.make_graph(nodes, "window", inputs, outputs, [inits[x] for x in used])
    m = helper.make_model(graph, opset_imports=model.opset_import, producer_name="tessera-seed")
    m.ir_version = model.ir_version
    return m


def main():
    models, out = sys.argv[1], sys.argv[2]
    tsr = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(out, exist_ok=True)
    total = 0
    for path, starts in WINDOWS.items():
        full = os.path.join(models, "onnx", path)
        if not os.path.exists(full):
            print("skip", path)
            continue
        m = shape_inference.infer_shapes(onnx.load(full))
        for s in starts:
            w = window(m, s)
            if w is None:
                print("no window at", path, s)
                continue
            name = "%s_%d.onnx" % (os.path.basename(path)[:-5], s)
            data = w.SerializeToString()
            open(os.path.join(out, name), "wb").write(data)
            total += len(data)
            print("%-44s %3d nodes %7d bytes" % (name, len(w.graph.node), len(data)))
    mnist = os.path.join(models, "onnx/mnist-cntk-2018/model.onnx")
    if os.path.exists(mnist):
        data = open(mnist, "rb").read()
        open(os.path.join(out, "mnist_opset1.onnx"), "wb").write(data)
        total += len(data)
    if tsr:
        src = os.path.join(out, "vitTracker_49.onnx")
        dst = os.path.join(out, "vitTracker_49.tsr")
        if os.path.exists(src) and subprocess.call([tsr, "convert", src, "-o", dst]) == 0:
            total += os.path.getsize(dst)
    print("total", total, "bytes")


if __name__ == "__main__":
    main()
