#!/usr/bin/env python3
"""ONNX Runtime's side of scripts/bench-vs-onnxruntime.sh: parity on RecServe's sample request,
then single-thread timings of W1-shaped requests (fresh random ids each, as recctl bench-model).

    bench_onnxruntime.py MODEL.onnx SAMPLE.json ITERATIONS HISTORY CANDIDATES SEED  -> JSON on stdout
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def relative_error(actual, expected):
    """|actual - expected| / max(|expected|, rms(expected)): RecServe's own parity measure."""
    rms = float(np.sqrt(np.mean(expected.astype(np.float64) ** 2)))
    return float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), rms)))


def main():
    model, sample_path, iterations, history, candidates, seed = sys.argv[1:7]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    sample = json.load(open(sample_path))
    feed = {"history_ids": np.array(sample["history"], dtype=np.int64), "candidate_ids": np.array(sample["candidates"], dtype=np.int64)}
    logits = session.run(["logits"], feed)[0]
    error = relative_error(logits, np.array(sample["logits"], dtype=np.float32))
    rng = np.random.default_rng(int(seed))
    count = int(sample["items"])
    requests = [
        {"history_ids": rng.integers(0, count, int(history), dtype=np.int64),
         "candidate_ids": rng.integers(0, count, int(candidates), dtype=np.int64)}
        for _ in range(int(iterations) + 5)
    ]
    for request in requests[:5]:
        session.run(["logits"], request)
    times = []
    for request in requests[5:]:
        start = time.perf_counter_ns()
        session.run(["logits"], request)
        times.append((time.perf_counter_ns() - start) / 1e3)
    p = lambda q: float(np.percentile(times, q))
    print(json.dumps({
        "parity_relative_error": error, "onnxruntime": ort.__version__,
        "us": {"p10": p(10), "p25": p(25), "p50": p(50), "p75": p(75), "p90": p(90), "p99": p(99), "n": len(times)},
    }))


if __name__ == "__main__":
    main()
