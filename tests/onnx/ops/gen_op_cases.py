#!/usr/bin/env python3
"""Generates the ONNX operator cases replayed by tests/onnx/test_onnx_ops.c.

Each case is a small one- or few-node model with odd shapes, run through ONNX
Runtime (the oracle); the model, its inputs and ONNX Runtime's outputs are
written to <case>.case and the case is listed in cases.txt with its op family
and tolerance:

    cases.txt   one line per case: "<op> <case> <atol> <rtol>", or for a model
                the importer must refuse (TSR_ERR_UNSUPPORTED, the message
                naming node, op and attribute): "refuse <op> <case> <attr|->"
    <case>.case little-endian: "TSRCASE1", u32 model_bytes, model (ONNX
                protobuf), u32 n_inputs, u32 n_outputs, then per tensor:
                u32 name_len, name, u32 onnx_elem_type (1 f32, 2 u8, 3 i8, 6 i32,
                7 i64, 9 bool), u32 ndim, i64 dims[ndim], raw data

A value passes when |got - want| <= atol + rtol * |want| (integer and bool
outputs exactly). Run: python3 gen_op_cases.py  (needs onnx, onnxruntime,
numpy; a venv: python3 -m venv /tmp/venv-ort && /tmp/venv-ort/bin/pip
install onnx onnxruntime numpy). The C test needs no Python.
"""
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort

ort.set_default_logger_severity(3)
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261207)
F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
U8, I8, I32 = TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
NP = {F: np.float32, I64: np.int64, B: np.bool_}

# Tolerances per op family: float math differs from ORT only by rounding
# (f32 vs double evaluation, MLAS approximations of exp/tanh/erf).
TOL_EXACT = (0.0, 0.0)
TOL_MATH = (1e-6, 1e-5)
TOL_NORM = (1e-5, 1e-4)

cases = []  # (op, name, atol, rtol)
refusals = []  # (op, name, needle)


def rand(shape, lo=-3.0, hi=3.0):
    return RNG.uniform(lo, hi, size=shape).astype(np.float32)


def model(nodes, inputs, outputs, opset, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ir = 10 if opset >= 20 else (9 if opset >= 18 else 8)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def vi(name, et, shape):
    return helper.make_tensor_value_info(name, et, None if shape is None else list(shape))


def put_tensor(out, name, arr):
    et = {np.dtype(np.float32): F, np.dtype(np.int64): I64, np.dtype(np.bool_): B, np.dtype(np.uint8): U8,
          np.dtype(np.int8): I8, np.dtype(np.int32): I32}[arr.dtype]
    nb = name.encode()
    out += struct.pack("<I", len(nb)) + nb + struct.pack("<II", et, arr.ndim)
    out += struct.pack("<%dq" % arr.ndim, *arr.shape) + np.ascontiguousarray(arr).tobytes()


def case(op, name, m, feeds, tol):
    """Runs |m| in ONNX Runtime on |feeds| (dict name -> array) and writes the case."""
    m = onnx.shape_inference.infer_shapes(m)
    for o in m.graph.output:  # give each output the shape inference found
        for v in m.graph.value_info:
            if v.name == o.name:
                o.CopyFrom(v)
    data = m.SerializeToString()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    buf = bytearray(b"TSRCASE1" + struct.pack("<I", len(data)) + data)
    buf += struct.pack("<II", len(feeds), len(outs))
    for k, v in feeds.items():
        put_tensor(buf, k, v)
    for o, v in zip(sess.get_outputs(), outs):
        put_tensor(buf, o.name, np.asarray(v))
    with open(os.path.join(HERE, name + ".case"), "wb") as f:
        f.write(buf)
    cases.append((op, name, tol[0], tol[1]))


def unary(op, opset, shape=(2, 3, 5), lo=-4.0, hi=4.0, tol=TOL_MATH, suffix="", x=None, **attrs):
    n = helper.make_node(op, ["x"], ["y"], **attrs)
    m = model([n], [vi("x", F, shape)], [vi("y", F, None)], opset)
    case(op, "%s_o%d%s" % (op.lower(), opset, suffix), m, {"x": rand(shape, lo, hi) if x is None else x}, tol)


def gen_unary():
    unary("Softplus", 1, lo=-30, hi=30)
    unary("Softplus", 1, shape=(7,), suffix="_small", lo=-2, hi=2)
    unary("Log", 6, lo=0.01, hi=50)
    unary("Log", 13, shape=(3, 1, 4), lo=1e-3, hi=5)
    unary("Exp", 13, lo=-10, hi=10, tol=(1e-6, 2e-6))
    unary("Sin", 7, lo=-10, hi=10)
    unary("Cos", 7, shape=(4, 9), lo=-10, hi=10)
    unary("Mish", 18, lo=-8, hi=8)
    unary("Elu", 6)
    unary("Elu", 6, suffix="_alpha", alpha=0.3)
    unary("Selu", 6)
    unary("Selu", 6, suffix="_attrs", alpha=1.5, gamma=0.7)
    unary("Gelu", 20, lo=-6, hi=6)
    unary("Gelu", 20, suffix="_tanh", lo=-6, hi=6, approximate="tanh")
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.49, 0.51, 7.0, -7.2, 1e6 + 0.5], np.float32)
    unary("Round", 11, shape=halves.shape, x=halves, tol=TOL_EXACT)
    unary("Round", 11, shape=(3, 7), suffix="_rand", lo=-20, hi=20, tol=TOL_EXACT)
    unary("Floor", 13, shape=(2, 11), lo=-5, hi=5, tol=TOL_EXACT)
    unary("Ceil", 13, shape=(2, 11), lo=-5, hi=5, tol=TOL_EXACT)
    unary("Reciprocal", 13, shape=(13,), lo=0.1, hi=9)
    # Not on a run-time bool
    n = helper.make_node("Not", ["x"], ["y"])
    m = model([n], [vi("x", B, (3, 5))], [vi("y", B, None)], 1)
    case("Not", "not_o1", m, {"x": RNG.uniform(size=(3, 5)) > 0.5}, TOL_EXACT)


def binary(op, opset, sa, sb, name, lo=-4, hi=4, tol=TOL_MATH, et=F, a=None, b=None, out_et=F, **attrs):
    n = helper.make_node(op, ["a", "b"], ["y"], **attrs)
    m = model([n], [vi("a", et, sa), vi("b", et, sb)], [vi("y", out_et, None)], opset)
    if a is None:
        a = rand(sa, lo, hi)
    if b is None:
        b = rand(sb, lo, hi)
    case(op, name, m, {"a": a, "b": b}, tol)


def gen_binary():
    # Mod: floats need fmod=1 (C fmod, the sign of the dividend)
    a = rand((3, 7), -9, 9)
    b = RNG.choice([-2.5, -1.0, 0.75, 3.0], size=(7,)).astype(np.float32)
    binary("Mod", 10, (3, 7), (7,), "mod_o10_fmod", a=a, b=b, tol=TOL_MATH, fmod=1)
    binary("Mod", 13, (2, 1, 5), (4, 1), "mod_o13_bcast", a=rand((2, 1, 5), -20, 20), b=rand((4, 1), 0.5, 4), fmod=1)
    # comparisons: integers-as-floats so that ties occur
    ints = lambda s: RNG.integers(-3, 4, size=s).astype(np.float32)
    for op, opset in (("Equal", 11), ("Greater", 9), ("Less", 13), ("GreaterOrEqual", 12), ("LessOrEqual", 16)):
        binary(op, opset, (3, 4), (4,), "%s_o%d" % (op.lower(), opset), a=ints((3, 4)), b=ints((4,)), out_et=B,
               tol=TOL_EXACT)
    binary("Greater", 7, (2, 3, 1), (1, 5), "greater_o7_bcast", out_et=B, tol=TOL_EXACT)
    for op in ("And", "Or", "Xor"):
        binary(op, 7, (2, 5), (2, 1), "%s_o7" % op.lower(), et=B, out_et=B, a=RNG.uniform(size=(2, 5)) > 0.5,
               b=RNG.uniform(size=(2, 1)) > 0.5, tol=TOL_EXACT)
    # Min / Max with several inputs (opset 8+ broadcasts)
    for op in ("Min", "Max"):
        for opset in (8, 13):
            n = helper.make_node(op, ["a", "b", "c"], ["y"])
            m = model([n], [vi("a", F, (3, 1, 4)), vi("b", F, (5, 1)), vi("c", F, (4,))], [vi("y", F, None)], opset)
            case(op, "%s_o%d_3in" % (op.lower(), opset), m,
                 {"a": rand((3, 1, 4)), "b": rand((5, 1)), "c": rand((4,))}, TOL_EXACT)
        n = helper.make_node(op, ["a", "b", "c", "d"], ["y"])
        m = model([n], [vi(k, F, (2, 3)) for k in "abcd"], [vi("y", F, None)], 13)
        case(op, "%s_o13_4in" % op.lower(), m, {k: rand((2, 3)) for k in "abcd"}, TOL_EXACT)
    # Where on a run-time condition, made by a comparison in the graph, and from a bool input
    for opset in (9, 16):
        nodes = [helper.make_node("Greater", ["x", "t"], ["c"]), helper.make_node("Where", ["c", "x", "z"], ["y"])]
        m = model(nodes, [vi("x", F, (2, 3, 4)), vi("t", F, (4,)), vi("z", F, (3, 1))], [vi("y", F, None)], opset)
        case("Where", "where_o%d_cmp" % opset, m, {"x": rand((2, 3, 4)), "t": rand((4,)), "z": rand((3, 1))},
             TOL_EXACT)
    n = helper.make_node("Where", ["c", "x", "z"], ["y"])
    m = model([n], [vi("c", B, (4, 1)), vi("x", F, (4, 6)), vi("z", F, (6,))], [vi("y", F, None)], 16)
    case("Where", "where_o16_bool", m, {"c": np.array([[True], [False], [True], [False]]), "x": rand((4, 6)),
                                         "z": rand((6,))}, TOL_EXACT)
    # a comparison feeding Not and And, and a bool output next to a float one
    nodes = [helper.make_node("Less", ["x", "t"], ["c"]), helper.make_node("Not", ["c"], ["nc"]),
             helper.make_node("GreaterOrEqual", ["x", "u"], ["d"]), helper.make_node("And", ["nc", "d"], ["y"]),
             helper.make_node("Where", ["y", "x", "u"], ["w"])]
    m = model(nodes, [vi("x", F, (3, 5)), vi("t", F, (5,)), vi("u", F, (3, 1))],
              [vi("y", B, None), vi("w", F, None)], 13)
    case("And", "logic_chain_o13", m, {"x": rand((3, 5)), "t": rand((5,)), "u": rand((3, 1))}, TOL_EXACT)


def gen_pad():
    x = rand((2, 3, 4, 5))
    # opset 2: pads as attribute
    for mode in ("constant", "reflect", "edge"):
        kw = {"value": 1.5} if mode == "constant" else {}
        n = helper.make_node("Pad", ["x"], ["y"], mode=mode, pads=[0, 1, 2, 1, 0, 0, 1, 3], **kw)
        m = model([n], [vi("x", F, x.shape)], [vi("y", F, None)], 2)
        case("Pad", "pad_o2_%s" % mode, m, {"x": x}, TOL_EXACT)
    # opset 11/13: pads (and constant_value) as inputs
    for opset in (11, 13):
        for mode in ("constant", "reflect", "edge"):
            pads = numpy_helper.from_array(np.array([1, 0, 2, 2, 0, 3], np.int64), "pads")
            ins = ["x", "pads"]
            inits = [pads]
            if mode == "constant":
                inits.append(numpy_helper.from_array(np.array(-2.25, np.float32), "cv"))
                ins.append("cv")
            n = helper.make_node("Pad", ins, ["y"], mode=mode)
            xs = rand((3, 4, 5))
            m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], opset, inits)
            case("Pad", "pad_o%d_%s" % (opset, mode), m, {"x": xs}, TOL_EXACT)
    # opset 18: axes input (negative axis), no constant value (zeros)
    pads = numpy_helper.from_array(np.array([2, 1, 1, 2], np.int64), "pads")
    axes = numpy_helper.from_array(np.array([1, -1], np.int64), "axes")
    for mode in ("constant", "reflect", "edge"):
        n = helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode=mode)
        xs = rand((2, 5, 4))
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], 18, [pads, axes])
        case("Pad", "pad_o18_axes_%s" % mode, m, {"x": xs}, TOL_EXACT)


def gen_layout():
    for opset, xs, shape in ((8, (3, 1), [2, 3, 4]), (13, (1, 4, 1), [3, 1, 5]), (13, (5,), [2, 1, 1])):
        sh = numpy_helper.from_array(np.array(shape, np.int64), "shape")
        n = helper.make_node("Expand", ["x", "shape"], ["y"])
        m = model([n], [vi("x", F, xs)], [vi("y", F, None)], opset, [sh])
        case("Expand", "expand_o%d_%s" % (opset, "x".join(map(str, xs))), m, {"x": rand(xs)}, TOL_EXACT)
    for opset, reps in ((6, [2, 1, 3]), (13, [1, 3, 1]), (13, [3, 2, 2])):
        r = numpy_helper.from_array(np.array(reps, np.int64), "r")
        n = helper.make_node("Tile", ["x", "r"], ["y"])
        xs = rand((2, 3, 2))
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], opset, [r])
        case("Tile", "tile_o%d_%s" % (opset, "".join(map(str, reps))), m, {"x": xs}, TOL_EXACT)
    for opset, mode, b, shape in ((1, None, 2, (1, 8, 2, 3)), (11, "DCR", 2, (2, 12, 3, 2)), (13, "CRD", 2, (2, 12, 3, 2)),
                                  (13, "CRD", 3, (1, 18, 2, 1))):
        kw = {"mode": mode} if mode else {}
        n = helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=b, **kw)
        xs = rand(shape)
        m = model([n], [vi("x", F, shape)], [vi("y", F, None)], opset)
        case("DepthToSpace", "depthtospace_o%d_%s_b%d" % (opset, mode or "default", b), m, {"x": xs}, TOL_EXACT)
    for opset, b, shape in ((1, 2, (1, 3, 4, 6)), (13, 3, (2, 2, 6, 3))):
        n = helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=b)
        xs = rand(shape)
        m = model([n], [vi("x", F, shape)], [vi("y", F, None)], opset)
        case("SpaceToDepth", "spacetodepth_o%d_b%d" % (opset, b), m, {"x": xs}, TOL_EXACT)
    # DepthToSpace fed by a transposed input (a strided view)
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
             helper.make_node("DepthToSpace", ["t"], ["y"], blocksize=2, mode="CRD")]
    xs = rand((1, 3, 5, 8))
    m = model(nodes, [vi("x", F, xs.shape)], [vi("y", F, None)], 13)
    case("DepthToSpace", "depthtospace_o13_strided", m, {"x": xs}, TOL_EXACT)


def gen_norm():
    for shape in ((2, 3, 5, 4), (1, 4, 7), (2, 2, 3, 2, 2)):
        c = shape[1]
        s = numpy_helper.from_array(rand((c,), 0.5, 2), "s")
        b = numpy_helper.from_array(rand((c,), -1, 1), "b")
        n = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)
        m = model([n], [vi("x", F, shape)], [vi("y", F, None)], 6, [s, b])
        case("InstanceNormalization", "instancenorm_o6_%dd" % len(shape), m, {"x": rand(shape, -2, 5)}, TOL_NORM)
    for opset, shape, g in ((21, (2, 6, 3, 5), 3), (21, (1, 4, 9), 2), (18, (2, 6, 4), 2), (21, (1, 5, 2, 3), 5)):
        c = shape[1]
        pn = c if opset >= 21 else g
        s = numpy_helper.from_array(rand((pn,), 0.5, 2), "s")
        b = numpy_helper.from_array(rand((pn,), -1, 1), "b")
        n = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=g, epsilon=1e-4)
        m = model([n], [vi("x", F, shape)], [vi("y", F, None)], opset, [s, b])
        try:
            case("GroupNormalization", "groupnorm_o%d_g%d_%dd" % (opset, g, len(shape)), m,
                 {"x": rand(shape, -2, 5)}, TOL_NORM)
        except Exception as e:  # ORT without this opset's kernel
            print("skip GroupNormalization opset %d: %s" % (opset, str(e).splitlines()[0]), file=sys.stderr)


def gen_select():
    ties = lambda s: RNG.integers(-2, 3, size=s).astype(np.float32)  # many equal values
    for op in ("ArgMax", "ArgMin"):
        for opset, axis, keep, last, x in ((11, 1, 1, None, rand((3, 7, 2))), (12, -1, 0, 1, ties((4, 6))),
                                           (13, 0, 0, 0, ties((5, 3))), (13, 2, 1, 1, ties((2, 3, 9)))):
            kw = {"axis": axis, "keepdims": keep}
            if last is not None:
                kw["select_last_index"] = last
            n = helper.make_node(op, ["x"], ["y"], **kw)
            m = model([n], [vi("x", F, x.shape)], [vi("y", I64, None)], opset)
            case(op, "%s_o%d_ax%d_k%d_l%s" % (op.lower(), opset, axis, keep, last), m, {"x": x}, TOL_EXACT)
    # TopK: opset 1 (k attribute), 10 (K input), 11 (largest, sorted), ties
    x = rand((3, 11))
    n = helper.make_node("TopK", ["x"], ["v", "i"], k=4)
    m = model([n], [vi("x", F, x.shape)], [vi("v", F, None), vi("i", I64, None)], 1)
    case("TopK", "topk_o1_k4", m, {"x": x}, TOL_EXACT)
    for opset, shape, k, axis, largest, tie in ((10, (2, 9, 3), 3, 1, None, False), (11, (4, 13), 5, -1, 0, True),
                                                (11, (2, 3, 6), 6, 2, 1, True), (11, (17,), 1, 0, 0, False)):
        kt = numpy_helper.from_array(np.array([k], np.int64), "k")
        kw = {"axis": axis}
        if largest is not None:
            kw["largest"] = largest
        n = helper.make_node("TopK", ["x", "k"], ["v", "i"], **kw)
        xs = ties(shape) if tie else rand(shape)
        m = model([n], [vi("x", F, shape)], [vi("v", F, None), vi("i", I64, None)], opset, [kt])
        case("TopK", "topk_o%d_k%d_ax%d_%s" % (opset, k, axis, "ties" if tie else "rand"), m, {"x": xs}, TOL_EXACT)


def gen_reduce():
    x = rand((3, 4, 5))
    for opset, axis, ex, rev in ((11, 1, 0, 0), (11, -1, 1, 0), (14, 0, 0, 1), (14, 2, 1, 1)):
        a = numpy_helper.from_array(np.array(axis, np.int64), "axis")
        n = helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=ex, reverse=rev)
        m = model([n], [vi("x", F, x.shape)], [vi("y", F, None)], opset, [a])
        case("CumSum", "cumsum_o%d_ax%d_e%d_r%d" % (opset, axis, ex, rev), m, {"x": x}, (1e-5, 1e-5))
    for op in ("ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"):
        lo = 0.1 if op == "ReduceLogSum" else -3.0
        xs = rand((2, 5, 3), lo, 3.0)
        n = helper.make_node(op, ["x"], ["y"], axes=[1], keepdims=1)
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], 13)
        case(op, "%s_o13_attr" % op.lower(), m, {"x": xs}, TOL_NORM)
        ax = numpy_helper.from_array(np.array([0, -1], np.int64), "axes")
        n = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0)
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], 18, [ax])
        case(op, "%s_o18_input" % op.lower(), m, {"x": xs}, TOL_NORM)
    for op, opset in (("ReduceSum", 13), ("ReduceMax", 18), ("ReduceMean", 18), ("ReduceMin", 18)):
        xs = rand((3, 2, 7))
        ax = numpy_helper.from_array(np.array([-1, 0], np.int64), "axes")
        n = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0)
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], opset, [ax])
        case(op, "%s_o%d_input" % (op.lower(), opset), m, {"x": xs}, TOL_NORM)
    for p, axis in ((2, -1), (1, 1), (2, 0)):
        xs = rand((3, 4, 5))
        n = helper.make_node("LpNormalization", ["x"], ["y"], p=p, axis=axis)
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], 1)
        case("LpNormalization", "lpnorm_o1_p%d_ax%d" % (p, axis), m, {"x": xs}, TOL_NORM)


def gen_slice():
    x = rand((4, 5, 6))
    for name, starts, ends, axes, steps in (("rev_last", [-1], [-7], [2], [-1]),
                                            ("rev2_step", [3, 4], [0, -100], [0, 2], [-2, -3]),
                                            ("mixed", [1, 4, 0], [4, 0, 6], [0, 1, 2], [1, -2, 2])):
        inits = [numpy_helper.from_array(np.array(v, np.int64), k)
                 for k, v in (("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps))]
        n = helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
        m = model([n], [vi("x", F, x.shape)], [vi("y", F, None)], 13, inits)
        case("Slice", "slice_o13_%s" % name, m, {"x": x}, TOL_EXACT)


def gen_window():
    # ConvTranspose with output_padding and groups; pools with dilations and ceil_mode
    for name, cin, cout, g, k, st, op_, pads, dil in (("op1_g1", 3, 4, 1, 3, 2, [1, 1], [1, 1, 1, 1], 1),
                                                      ("op1_g3", 6, 3, 3, 3, 2, [1, 0], [0, 1, 1, 0], 1),
                                                      ("g2_d2", 4, 6, 2, 2, 3, [2, 1], [0, 0, 0, 0], 2)):
        w = numpy_helper.from_array(rand((cin, cout // g, k, k), -1, 1), "w")
        b = numpy_helper.from_array(rand((cout,), -1, 1), "b")
        n = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], group=g, strides=[st, st], output_padding=op_,
                             pads=pads, dilations=[dil, dil])
        xs = rand((1, cin, 5, 4))
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], 11, [w, b])
        case("ConvTranspose", "convtranspose_o11_%s" % name, m, {"x": xs}, (1e-5, 1e-5))
    for op, name, kw in (("MaxPool", "dil2", dict(kernel_shape=[3, 2], dilations=[2, 2], strides=[1, 2])),
                         ("MaxPool", "ceil", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
                         ("MaxPool", "ceil_dil_pad", dict(kernel_shape=[2, 3], strides=[2, 3], dilations=[2, 1],
                                                          pads=[1, 1, 0, 1], ceil_mode=1)),
                         ("AveragePool", "ceil", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
                         ("AveragePool", "ceil_pad_incl", dict(kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1],
                                                               ceil_mode=1, count_include_pad=1)),
                         ("AveragePool", "dil2", dict(kernel_shape=[2, 2], strides=[1, 1], dilations=[2, 2]))):
        opset = 19 if op == "AveragePool" and "dilations" in kw else 12
        n = helper.make_node(op, ["x"], ["y"], **kw)
        xs = rand((1, 2, 8, 9))
        m = model([n], [vi("x", F, xs.shape)], [vi("y", F, None)], opset)
        case(op, "%s_o%d_%s" % (op.lower(), opset, name), m, {"x": xs}, (1e-6, 1e-5))


def gen_grid_sample():
    x = rand((1, 2, 5, 6))
    grid = RNG.uniform(-1.3, 1.3, size=(1, 4, 5, 2)).astype(np.float32)  # some points outside
    for opset, mode in ((16, "bilinear"), (16, "nearest"), (16, "bicubic"), (20, "linear"), (20, "cubic")):
        for pad in ("zeros", "border", "reflection"):
            for ac in (0, 1):
                if opset == 20 and ac == 1:
                    continue
                n = helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=pad, align_corners=ac)
                m = model([n], [vi("x", F, x.shape), vi("g", F, grid.shape)], [vi("y", F, None)], opset)
                case("GridSample", "gridsample_o%d_%s_%s_ac%d" % (opset, mode, pad, ac), m, {"x": x, "g": grid},
                     (1e-5, 1e-5))


def gen_resize():
    x = rand((1, 2, 5, 7))
    for opset, mode, coord, scales, sizes in ((11, "cubic", "half_pixel", [1, 1, 2, 1.5], None),
                                              (13, "cubic", "align_corners", None, [1, 2, 9, 4]),
                                              (13, "cubic", "asymmetric", [1, 1, 0.6, 1.3], None),
                                              (13, "cubic", "pytorch_half_pixel", None, [1, 2, 1, 11]),
                                              (19, "cubic", "half_pixel_symmetric", [1, 1, 1.7, 0.8], None),
                                              (19, "linear", "half_pixel_symmetric", [1, 1, 2.5, 1.5], None),
                                              (13, "nearest", "tf_half_pixel_for_nn", [1, 1, 1.6, 2.0], None)):
        inits = [numpy_helper.from_array(np.array([], np.float32), "roi")]
        ins = ["x", "roi"]
        if scales is not None:
            inits.append(numpy_helper.from_array(np.array(scales, np.float32), "scales"))
            ins.append("scales")
        else:
            inits.append(numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
            ins += ["", "sizes"]
        n = helper.make_node("Resize", ins, ["y"], mode=mode, coordinate_transformation_mode=coord)
        m = model([n], [vi("x", F, x.shape)], [vi("y", F, None)], opset, inits)
        case("Resize", "resize_o%d_%s_%s" % (opset, mode, coord), m, {"x": x}, (1e-5, 1e-5))


def gen_gather():
    x = rand((3, 4, 5))
    for opset, axis, ishape in ((11, 0, (2, 4, 5)), (13, 1, (3, 6, 2)), (13, -1, (3, 4, 7))):
        ax = axis % 3
        idx = RNG.integers(-x.shape[ax], x.shape[ax], size=ishape).astype(np.int64)
        n = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis)
        m = model([n], [vi("x", F, x.shape), vi("i", I64, ishape)], [vi("y", F, None)], opset)
        case("GatherElements", "gatherelements_o%d_ax%d" % (opset, axis), m, {"x": x, "i": idx}, TOL_EXACT)
    for opset, ishape in ((11, (4, 1)), (12, (2, 3, 2)), (13, (5, 3)), (13, (3,))):
        mm = ishape[-1]
        idx = np.stack([RNG.integers(-x.shape[k], x.shape[k], size=ishape[:-1]) for k in range(mm)], -1).astype(np.int64)
        n = helper.make_node("GatherND", ["x", "i"], ["y"])
        m = model([n], [vi("x", F, x.shape), vi("i", I64, ishape)], [vi("y", F, None)], opset)
        case("GatherND", "gathernd_o%d_%s" % (opset, "x".join(map(str, ishape))), m, {"x": x, "i": idx}, TOL_EXACT)
    for opset, idx in ((11, np.array([[1], [0]], np.int64)), (13, np.array([[0, 2], [2, 3], [1, 0]], np.int64)),
                       (13, np.array([[2, 3, 4], [0, 0, 0]], np.int64))):
        ushape = idx.shape[:-1] + x.shape[idx.shape[-1]:]
        n = helper.make_node("ScatterND", ["x", "i", "u"], ["y"])
        m = model([n], [vi("x", F, x.shape), vi("i", I64, idx.shape), vi("u", F, ushape)], [vi("y", F, None)], opset)
        case("ScatterND", "scatternd_o%d_m%d" % (opset, idx.shape[-1]), m, {"x": x, "i": idx, "u": rand(ushape)},
             TOL_EXACT)
    n = helper.make_node("GatherND", ["x", "i"], ["y"], name="gathernd_batch", batch_dims=1)
    refuse("GatherND", "refuse_gathernd_batch", model([n], [vi("x", F, (2, 3)), vi("i", I64, (2, 1))], [vi("y", F, None)],
                                                      13), "'batch_dims'")


def gen_rnn():
    T, B, I, H = 4, 2, 3, 5
    for op, gates in (("LSTM", 4), ("GRU", 3)):
        for name, direction, bias, init, extra in (("fwd", "forward", False, False, {}),
                                                   ("rev_bias", "reverse", True, True, {}),
                                                   ("bidir", "bidirectional", True, True, {}),
                                                   ("lbr", "forward", True, False, {"linear_before_reset": 1})):
            if op == "LSTM" and extra:
                continue
            D = 2 if direction == "bidirectional" else 1
            inits = [numpy_helper.from_array(rand((D, gates * H, I), -0.6, 0.6), "w"),
                     numpy_helper.from_array(rand((D, gates * H, H), -0.6, 0.6), "r")]
            ins = ["x", "w", "r"]
            ins.append("b" if bias else "")
            if bias:
                inits.append(numpy_helper.from_array(rand((D, 2 * gates * H), -0.3, 0.3), "b"))
            feeds = {"x": rand((T, B, I), -1, 1)}
            gin = [vi("x", F, (T, B, I))]
            ins.append("")  # sequence_lens
            if init:
                ins.append("h0")
                gin.append(vi("h0", F, (D, B, H)))
                feeds["h0"] = rand((D, B, H), -1, 1)
                if op == "LSTM":
                    ins.append("c0")
                    gin.append(vi("c0", F, (D, B, H)))
                    feeds["c0"] = rand((D, B, H), -1, 1)
            outs = ["y", "yh", "yc"] if op == "LSTM" else ["y", "yh"]
            n = helper.make_node(op, ins, outs, hidden_size=H, direction=direction, **extra)
            m = model([n], gin, [vi(o, F, None) for o in outs], 14, inits)
            case(op, "%s_o14_%s" % (op.lower(), name), m, feeds, (1e-5, 1e-5))
    # only Y_h read, opset 7
    inits = [numpy_helper.from_array(rand((1, 3 * H, I), -0.6, 0.6), "w"), numpy_helper.from_array(rand((1, 3 * H, H), -0.6, 0.6), "r")]
    n = helper.make_node("GRU", ["x", "w", "r"], ["", "yh"], hidden_size=H)
    m = model([n], [vi("x", F, (T, B, I))], [vi("yh", F, None)], 7, inits)
    case("GRU", "gru_o7_yh_only", m, {"x": rand((T, B, I), -1, 1)}, (1e-5, 1e-5))


def gen_matmul_integer():
    for name, at, bt, ashape, k, nn, azp, bzp in (("u8u8_zp", np.uint8, np.uint8, (3, 6), 6, 5, 128, 3),
                                                   ("i8i8", np.int8, np.int8, (2, 3, 7), 7, 4, None, None),
                                                   ("u8i8_colzp", np.uint8, np.int8, (4, 16), 16, 3, 10, [1, -2, 0])):
        info = np.iinfo(at)
        a = RNG.integers(info.min, info.max + 1, size=ashape).astype(at)
        binfo = np.iinfo(bt)
        b = RNG.integers(binfo.min, binfo.max + 1, size=(k, nn)).astype(bt)
        inits = [numpy_helper.from_array(b, "b")]
        ins = ["a", "b"]
        if azp is not None:
            inits.append(numpy_helper.from_array(np.array(azp, at), "azp"))
            inits.append(numpy_helper.from_array(np.array(bzp, bt), "bzp"))
            ins += ["azp", "bzp"]
        et = U8 if at == np.uint8 else I8
        n = helper.make_node("MatMulInteger", ins, ["y"])
        m = model([n], [vi("a", et, ashape)], [vi("y", I32, None)], 10, inits)
        case("MatMulInteger", "matmulinteger_o10_%s" % name, m, {"a": a}, TOL_EXACT)


def gen_einsum():
    for eq, shapes in (("ij,jk->ik", [(3, 5), (5, 4)]),
                       ("bij,bjk->bik", [(2, 3, 5), (2, 5, 4)]),
                       ("bhqd,bhkd->bhqk", [(1, 2, 3, 8), (1, 2, 5, 8)]),
                       ("bhqk,bhkd->bhqd", [(2, 2, 3, 5), (2, 2, 5, 4)]),
                       ("ij,kj->ik", [(3, 6), (4, 6)]),
                       ("bij,jk->bki", [(2, 3, 5), (5, 4)]),
                       ("i,j->ij", [(5,), (3,)]),
                       ("ij,ij->i", [(4, 7), (4, 7)]),
                       ("abc,cd->abd", [(2, 3, 4), (4, 5)]),
                       ("ij->ji", [(3, 7)]),
                       ("bijk->bkji", [(2, 3, 4, 5)]),
                       ("ik,kj", [(3, 4), (4, 2)])):
        ins = [vi("x%d" % i, F, sh) for i, sh in enumerate(shapes)]
        n = helper.make_node("Einsum", ["x%d" % i for i in range(len(shapes))], ["y"], equation=eq)
        m = model([n], ins, [vi("y", F, None)], 12)
        tag = eq.replace(",", "_").replace("->", "_to_")
        case("Einsum", "einsum_o12_%s" % tag, m, {"x%d" % i: rand(sh) for i, sh in enumerate(shapes)}, (1e-5, 1e-5))


def refuse(op, name, m, needle):
    """A model the importer must refuse with TSR_ERR_UNSUPPORTED, naming the
    node, the op and |needle| (the attribute or input; "-" for none)."""
    data = m.SerializeToString()
    buf = bytearray(b"TSRCASE1" + struct.pack("<I", len(data)) + data) + struct.pack("<II", 0, 0)
    with open(os.path.join(HERE, name + ".case"), "wb") as f:
        f.write(buf)
    refusals.append((op, name, needle))


def gen_refusals():
    x4 = vi("x", F, (1, 2, 4, 4))
    sc = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize_cubic_a", mode="cubic", cubic_coeff_a=-0.5)
    refuse("Resize", "refuse_resize_cubic_a", model([n], [x4], [vi("y", F, None)], 13, [sc]), "cubic_coeff_a")
    n = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize_crop", mode="linear",
                         coordinate_transformation_mode="tf_crop_and_resize")
    refuse("Resize", "refuse_resize_crop", model([n], [x4], [vi("y", F, None)], 13, [sc]), "coordinate_transformation_mode")
    n = helper.make_node("Pad", ["x", "pads"], ["y"], name="pad_wrap", mode="wrap")
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    refuse("Pad", "refuse_pad_wrap", model([n], [x4], [vi("y", F, None)], 19, [pads]), "mode")
    n = helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk_runtime_k")
    refuse("TopK", "refuse_topk_runtime_k", model([n], [x4, vi("k", I64, (1,))], [vi("v", F, None), vi("i", I64, None)], 11), "'K'")
    n = helper.make_node("LpNormalization", ["x"], ["y"], name="lpnorm_p3", p=3)
    refuse("LpNormalization", "refuse_lpnorm_p3", model([n], [x4], [vi("y", F, None)], 1), "'p'")
    n = helper.make_node("Softmax", ["x"], ["y"], name="softmax_axis1", axis=1)
    refuse("Softmax", "refuse_softmax_axis1", model([n], [x4], [vi("y", F, None)], 13), "'axis'")
    g = vi("grid", F, (1, 3, 3, 2))
    n = helper.make_node("GridSample", ["x", "grid"], ["y"], name="gridsample_5d")
    refuse("GridSample", "refuse_gridsample_5d", model([n], [vi("x", F, (1, 2, 3, 4, 4)), vi("grid", F, (1, 3, 3, 3, 3))],
                                                  [vi("y", F, None)], 20), "rank")
    w = numpy_helper.from_array(rand((1, 16, 3), -0.5, 0.5), "w")
    r = numpy_helper.from_array(rand((1, 16, 4), -0.5, 0.5), "r")
    pp = numpy_helper.from_array(rand((1, 12), -0.5, 0.5), "p")
    n = helper.make_node("LSTM", ["x", "w", "r", "", "", "", "", "p"], ["y"], name="lstm_peephole", hidden_size=4)
    refuse("LSTM", "refuse_lstm_peephole", model([n], [vi("x", F, (2, 1, 3))], [vi("y", F, None)], 14, [w, r, pp]), "'P'")
    big = numpy_helper.from_array(np.full((300, 2), 255, np.uint8), "b")
    n = helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi_wide")
    refuse("MatMulInteger", "refuse_mmi_wide", model([n], [vi("a", U8, (2, 300))], [vi("y", I32, None)], 10, [big]), "2^24")
    n = helper.make_node("NonMaxSuppression", ["b", "s"], ["y"], name="nms")
    refuse("NonMaxSuppression", "refuse_nms", model([n], [vi("b", F, (1, 6, 4)), vi("s", F, (1, 1, 6))],
                                                    [vi("y", I64, None)], 11), "-")
    n = helper.make_node("Einsum", ["a", "b"], ["y"], name="einsum_ellipsis", equation="...ij,...jk->...ik")
    refuse("Einsum", "refuse_einsum_ellipsis", model([n], [vi("a", F, (2, 3)), vi("b", F, (3, 4))], [vi("y", F, None)], 12),
           "'equation'")
    n = helper.make_node("Einsum", ["a"], ["y"], name="einsum_trace", equation="ii->")
    refuse("Einsum", "refuse_einsum_trace", model([n], [vi("a", F, (3, 3))], [vi("y", F, None)], 12), "'equation'")


def main():
    for f in os.listdir(HERE):
        if f.endswith(".case"):
            os.remove(os.path.join(HERE, f))
    gen_unary()
    gen_binary()
    gen_pad()
    gen_layout()
    gen_norm()
    gen_select()
    gen_reduce()
    gen_slice()
    gen_window()
    gen_einsum()
    gen_grid_sample()
    gen_resize()
    gen_gather()
    gen_rnn()
    gen_matmul_integer()
    gen_refusals()
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("# generated by gen_op_cases.py (ONNX Runtime %s); do not edit\n" % ort.__version__)
        f.write("# op case atol rtol\n")
        for op, name, atol, rtol in cases:
            f.write("%s %s %g %g\n" % (op, name, atol, rtol))
        for op, name, needle in refusals:
            f.write("refuse %s %s %s\n" % (op, name, needle))
    total = sum(os.path.getsize(os.path.join(HERE, c[1] + ".case")) for c in cases)
    print("%d cases, %d bytes" % (len(cases), total))


if __name__ == "__main__":
    main()
