"""RQ-Kmeans with faiss, for scripts/bench-kmeans.sh: the same residual k-means recctl semantic-ids
runs (L levels of K codes, 20 Lloyd iterations a level, centroids trained on at most 256 points a
cluster, then every row assigned), timed, and measured as TokenizerReport measures ours
(reconstruction loss after each level with each code's centroid the mean of what it holds,
relative to the rows' mean squared norm). Prints one JSON object.

    python bench_kmeans_faiss.py MODEL.safetensors LEVELS CODES THREADS SEED
"""
import json
import struct
import sys
import time

import faiss
import numpy as np


def item_rows(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        entry = header["item_embedding"]
        assert entry["dtype"] == "F32", "an f32 table is needed"
        begin, end = entry["data_offsets"]
        f.seek(8 + length + begin)
        rows = np.frombuffer(f.read(end - begin), dtype=np.float32)
    return rows.reshape(entry["shape"]).copy()


def report(rows, codes, k):
    residual = rows.astype(np.float64)
    total = (residual**2).sum() / len(rows)
    losses = []
    for level in range(codes.shape[1]):
        c = codes[:, level]
        sizes = np.bincount(c, minlength=k).astype(np.float64)
        sums = np.zeros((k, rows.shape[1]))
        np.add.at(sums, c, residual)
        means = sums / np.maximum(sizes, 1)[:, None]
        residual -= means[c]
        losses.append(float((residual**2).sum() / len(rows) / total))
    return losses


def main():
    path, levels, k, threads, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    faiss.omp_set_num_threads(threads)
    rows = item_rows(path)
    started = time.perf_counter()
    residual = rows.copy()
    codes = np.zeros((len(rows), levels), dtype=np.int64)
    for level in range(levels):
        kmeans = faiss.Kmeans(rows.shape[1], k, niter=20, seed=seed + level, max_points_per_centroid=256, verbose=False)
        kmeans.train(residual)
        _, assigned = kmeans.index.search(residual, 1)
        codes[:, level] = assigned[:, 0]
        residual -= kmeans.centroids[codes[:, level]]
    seconds = time.perf_counter() - started
    print(json.dumps({"items": len(rows), "levels": levels, "codes": k, "threads": threads, "seconds": seconds,
                      "faiss": faiss.__version__, "reconstruction_loss": report(rows, codes, k)}))


if __name__ == "__main__":
    main()
