"""A NumPy re-implementation of the RecServe model, written from docs/model.md alone."""

import json
import struct

import numpy as np


def load(path):
    """Returns (config dict of ints and 'version', tensors by name) from a safetensors model file."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
        data = handle.read()
    meta = header.pop("__metadata__")
    config = {key: (meta[key] if key == "version" else int(meta[key]))
              for key in ("items", "dim", "heads", "layers", "ffn_dim", "head_hidden", "max_history", "version")}
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return config, tensors


def layer_norm(x, weight, bias):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * weight + bias


def score(config, t, history, item):
    """The logit of one candidate `item` for a history of ids (oldest first)."""
    d, heads = config["dim"], config["heads"]
    kept = list(history)[-config["max_history"]:]
    n = len(kept)
    E, P = t["item_embedding"], t["position_embedding"]
    x = np.stack([E[h] + P[n - 1 - i] for i, h in enumerate(kept)] + [E[item] + t["candidate_token"]])
    # visible[i, j]: token i sees token j (history causal; the candidate sees the history, not itself).
    visible = np.tril(np.ones((n + 1, n + 1), dtype=bool))
    visible[n, n] = False
    width = d // heads
    for layer in range(config["layers"]):
        p = f"layers.{layer}."
        a = layer_norm(x, t[p + "norm1.weight"], t[p + "norm1.bias"])
        q = a @ t[p + "attn.query.weight"] + t[p + "attn.query.bias"]
        k = a @ t[p + "attn.key.weight"] + t[p + "attn.key.bias"]
        v = a @ t[p + "attn.value.weight"] + t[p + "attn.value.bias"]
        o = np.zeros_like(x)
        for head in range(heads):
            cols = slice(head * width, (head + 1) * width)
            s = q[:, cols] @ k[:, cols].T / np.sqrt(width)
            s = np.where(visible, s, -np.inf)
            s = np.exp(s - s.max(axis=1, keepdims=True))
            o[:, cols] = (s / s.sum(axis=1, keepdims=True)) @ v[:, cols]
        x = x + o @ t[p + "attn.output.weight"] + t[p + "attn.output.bias"]
        b = layer_norm(x, t[p + "norm2.weight"], t[p + "norm2.bias"])
        x = x + np.maximum(b @ t[p + "ffn.fc1.weight"] + t[p + "ffn.fc1.bias"], 0) @ t[p + "ffn.fc2.weight"] + t[p + "ffn.fc2.bias"]
    z = layer_norm(x[n], t["final_norm.weight"], t["final_norm.bias"])
    e = E[item]
    hidden = np.maximum(np.concatenate([z, e, z * e]) @ t["head.fc1.weight"] + t["head.fc1.bias"], 0)
    return float(hidden @ t["head.fc2.weight"] + t["head.fc2.bias"][0])
