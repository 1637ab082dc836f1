#!/usr/bin/env python3
"""Writes a RecServe model file (safetensors) as one ONNX graph for a whole request, so users can
check RecServe against their own stack (ONNX Runtime, ...).

    python3 scripts/export_onnx.py MODEL.safetensors OUT.onnx      (needs: pip install onnx numpy)

Inputs: history_ids int64 [n] (oldest first, n <= max history), candidate_ids int64 [m].
Output: logits float32 [m]. The graph holds the item table (a Gather per request, as RecServe's
in-process path looks rows up) and follows docs/model.md exactly: positions counted back from the
newest item, pre-LayerNorm blocks (eps 1e-5), causal history self-attention, candidates attending
to the history only, the last block of the history pass reduced to its keys and values, ReLU FFN,
a final LayerNorm and the head over [z, e, z * e].
"""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def load_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}; this exporter reads F32 models")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(entry["shape"])
    return meta, tensors


class Graph:
    def __init__(self):
        self.nodes, self.initializers, self.counter = [], [], 0

    def name(self, hint):
        self.counter += 1
        return f"{hint}_{self.counter}"

    def const(self, hint, array):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, kind, inputs, hint=None, **attrs):
        out = self.name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out


def export(model_path, out_path):
    meta, t = load_safetensors(model_path)
    layers, heads, d = int(meta["layers"]), int(meta["heads"]), int(meta["dim"])
    hd = d // heads
    g = Graph()
    table = g.const("item_embedding", t["item_embedding"])
    positions = g.const("position_embedding", t["position_embedding"])
    axis0 = g.const("axis0", np.array([0], dtype=np.int64))
    shape_heads = g.const("shape_heads", np.array([-1, heads, hd], dtype=np.int64))
    shape_flat = g.const("shape_flat", np.array([-1, d], dtype=np.int64))
    scale = g.const("scale", np.array(1 / np.sqrt(hd), dtype=np.float32))
    w = lambda name: g.const(name.replace(".", "_"), t[name])

    def linear(x, prefix, relu=False):
        y = g.op("Add", [g.op("MatMul", [x, w(prefix + ".weight")]), w(prefix + ".bias")])
        return g.op("Relu", [y]) if relu else y

    def norm(x, prefix):
        return g.op("LayerNormalization", [x, w(prefix + ".weight"), w(prefix + ".bias")], axis=-1, epsilon=1e-5)

    def split_heads(x):  # [rows, d] -> [heads, rows, hd]
        return g.op("Transpose", [g.op("Reshape", [x, shape_heads])], perm=[1, 0, 2])

    def attention(q, k, v, mask=None):  # q [H, r, hd], k/v [H, n, hd]
        scores = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])]), scale])
        if mask is not None:
            scores = g.op("Add", [scores, mask])
        probs = g.op("Softmax", [scores], axis=-1)
        merged = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[1, 0, 2])
        return g.op("Reshape", [merged, shape_flat])

    def block(x, p, kv=None, mask=None):
        normed = norm(x, p + "norm1")
        q = split_heads(linear(normed, p + "attn.query"))
        if kv is None:
            k, v = split_heads(linear(normed, p + "attn.key")), split_heads(linear(normed, p + "attn.value"))
        else:
            k, v = kv
        x = g.op("Add", [x, linear(attention(q, k, v, mask), p + "attn.output")])
        hidden = linear(norm(x, p + "norm2"), p + "ffn.fc1", relu=True)
        return g.op("Add", [x, linear(hidden, p + "ffn.fc2")]), (k, v)

    # History tokens: item row + position counted back from the newest (row 0 is the newest).
    n = g.op("Shape", ["history_ids"])
    count = g.op("Squeeze", [n, axis0])
    zero, one = g.const("zero", np.array(0, dtype=np.int64)), g.const("one", np.array(1, dtype=np.int64))
    back = g.op("Sub", [g.op("Sub", [count, one]), g.op("Range", [zero, count, one])])  # n-1, ..., 0
    x = g.op("Add", [g.op("Gather", [table, "history_ids"], axis=0), g.op("Gather", [positions, back], axis=0)])
    # Causal mask: 0 on and below the diagonal, -1e9 above it.
    square = g.op("Concat", [n, n], axis=0)
    ones = g.op("ConstantOfShape", [square], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]))
    upper = g.op("Sub", [ones, g.op("Trilu", [ones], upper=0)])
    mask = g.op("Mul", [upper, g.const("neg", np.array(-1e9, dtype=np.float32))])
    history_kv = []
    for layer in range(layers):
        p = f"layers.{layer}."
        if layer == layers - 1:  # only its keys and values are read
            normed = norm(x, p + "norm1")
            history_kv.append((split_heads(linear(normed, p + "attn.key")), split_heads(linear(normed, p + "attn.value"))))
        else:
            x, kv = block(x, p, mask=mask)
            history_kv.append(kv)
    # Candidates: item row + the candidate token, through the same blocks against the history's K/V.
    e = g.op("Gather", [table, "candidate_ids"], axis=0)
    c = g.op("Add", [e, w("candidate_token")])
    for layer in range(layers):
        c, _ = block(c, f"layers.{layer}.", kv=history_kv[layer])
    z = norm(c, "final_norm")
    features = g.op("Concat", [z, e, g.op("Mul", [z, e])], axis=-1)
    hidden = linear(features, "head.fc1", relu=True)
    logits = g.op("Add", [g.op("MatMul", [hidden, w("head.fc2.weight")]), w("head.fc2.bias")], hint="logits")
    g.nodes[-1].output[0] = "logits"

    graph = helper.make_graph(
        g.nodes, "recserve_request",
        [helper.make_tensor_value_info("history_ids", TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info("candidate_ids", TensorProto.INT64, ["m"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["m"])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="recserve")
    model.ir_version = 8
    meta_prop = model.metadata_props.add()
    meta_prop.key, meta_prop.value = "recserve_version", meta.get("version", "")
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
    print(f"wrote {out_path}: {layers} layers, d {d}, {heads} heads, {len(g.nodes)} nodes, version {meta.get('version', '?')}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    export(sys.argv[1], sys.argv[2])
