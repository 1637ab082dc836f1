"""The Python client against real suites started by `recctl up`: plain and CURVE-protected."""

import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import reference_model  # noqa: E402
from recserve import BadRequest, ClientTimeout, NotFound, RecServeClient  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[3]


def binaries():
    """`recctl` from $RECCTL, else the repository's release build. (Not a RECSERVE_* variable: the
    services read those as flags.)"""
    recctl = os.environ.get("RECCTL")
    if not recctl:
        folder = subprocess.run(
            ["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout.strip()
        recctl = os.path.join(folder, "recctl")
    if not os.path.exists(recctl):
        raise RuntimeError(f"no recctl at {recctl}; run `swift build -c release` first")
    return pathlib.Path(recctl)


# Port bases for this run's suites: a random start, then 20 apart (a suite uses a few ports above
# its base), so two suites of one run never draw the same ports. Below Linux's ephemeral range
# (32768 and up), where outgoing connections could hold one.
_ports = iter(range(random.randrange(20_000, 30_000, 20), 32_000, 20))


class Suite:
    """`recctl up` on the next free port base, stopped with SIGINT."""

    def __init__(self, recctl, model, folder, extra=()):
        self.port = next(_ports)
        self.endpoint = f"tcp://127.0.0.1:{self.port}"
        self.log = open(folder / f"up-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [str(recctl), "up", "--model", str(model), "--port", str(self.port), "--scorers", "2", "--log-level", "warning", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            self.log.seek(0)
            text = self.log.read()
            if any(line.startswith("ready") for line in text.splitlines()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the suite did not start:\n{text}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(2)
            self.process.wait(timeout=30)
        self.log.close()


class ClientTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.recctl = binaries()
        cls.folder = pathlib.Path(tempfile.mkdtemp(prefix="recserve-python-"))
        cls.model = cls.folder / "model.safetensors"
        subprocess.run(
            [str(cls.recctl), "init-model", "--output", str(cls.model), "--items", "500", "--dim", "32", "--heads", "2",
             "--layers", "2", "--max-history", "30", "--seed", "5"], check=True, capture_output=True)
        # The same model with random semantic IDs and a random generator, for generative retrieval.
        cls.generative_model = cls.folder / "generative.safetensors"
        subprocess.run(
            [str(cls.recctl), "semantic-ids", "--model", str(cls.model), "--output", str(cls.generative_model), "--method", "random",
             "--random-generator"], check=True, capture_output=True)
        keys = cls.folder / "keys"
        for name in ("gateway", "alice"):
            subprocess.run([str(cls.recctl), "keys", "--output", str(keys), "--name", name], check=True, capture_output=True)
        cls.keys = keys
        cls.plain = Suite(cls.recctl, cls.model, cls.folder)
        try:
            cls.curve = Suite(cls.recctl, cls.model, cls.folder,
                              ["--curve-key", str(keys / "gateway.key"), "--curve-allowed-clients", str(keys / "alice.pub")])
        except Exception:
            cls.plain.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.plain.stop()
        cls.curve.stop()
        shutil.rmtree(cls.folder, ignore_errors=True)

    def test_recommend_returns_the_top_k_best_first(self):
        with RecServeClient(self.plain.endpoint) as client:
            result = client.recommend("user-1", history=[1, 2, 3, 4], candidates=list(range(100, 140)), k=5)
        self.assertEqual(len(result.items), 5)
        self.assertTrue(set(result.items) <= set(range(100, 140)))
        self.assertEqual(result.scores, sorted(result.scores, reverse=True))
        self.assertEqual(result.model_version, "random-5")
        self.assertIn("gateway_total", result.timings)

    def test_generative_retrieval_ranks_generated_items(self):
        suite = Suite(self.recctl, self.generative_model, self.folder)  # recctl up adds a generator for it
        try:
            with RecServeClient(suite.endpoint, timeout_ms=5000) as client:
                result = client.recommend("g", history=[1, 2, 3], k=5, retrieval="generative", beam=64)
                self.assertEqual((result.retrieval, result.generated, len(result.items)), ("generative", 64, 5))
                self.assertIn("generator_compute", result.timings)
                self.assertEqual(client.recommend("g", history=[1, 2, 3], k=5).retrieval, "all_items")
                with self.assertRaises(BadRequest):
                    client.recommend("g", history=[1, 2, 3], k=5, retrieval="generative", beam=10_000)
        finally:
            suite.stop()

    def test_served_scores_match_the_numpy_model_written_from_the_docs(self):
        config, tensors = reference_model.load(self.model)
        rng = random.Random(3)
        with RecServeClient(self.plain.endpoint) as client:
            for case in range(4):
                # Histories longer than the window too (40 > 30): truncation is part of the model.
                history = [rng.randrange(500) for _ in range(rng.choice([1, 7, 30, 40]))]
                candidates = rng.sample(range(500), 60)
                result = client.recommend(f"numpy-{case}", history, candidates, k=60)
                served = dict(zip(result.items, result.scores))
                self.assertEqual(set(served), set(candidates))
                for item in candidates:
                    want = reference_model.score(config, tensors, history, item)
                    self.assertLessEqual(abs(served[item] - want), 1e-4 * max(1.0, abs(want)), f"item {item}")

    def test_error_replies_raise_typed_errors_with_the_code_and_ids(self):
        with RecServeClient(self.plain.endpoint) as client:
            with self.assertRaises(NotFound) as caught:
                client.recommend("u", history=[1], candidates=[3, 600, 700], k=2)
            self.assertEqual(caught.exception.code, "NOT_FOUND")
            self.assertEqual(sorted(caught.exception.ids), [600, 700])
            with self.assertRaises(BadRequest):
                client.recommend("u", history=[1, -4], candidates=[3], k=1)
            # Still serving afterwards.
            self.assertEqual(len(client.recommend("u", history=[1], candidates=[3, 4], k=2).items), 2)

    def test_recommend_many_pipelines_and_keeps_each_result_in_order(self):
        with RecServeClient(self.plain.endpoint) as client:
            results = client.recommend_many([
                ("a", [1, 2], [5, 6, 7], 2),
                ("b", [3], [600], 1),
                ("c", [4, 5, 6], None, 3),
            ])
        self.assertEqual(len(results[0].items), 2)
        self.assertIsInstance(results[1], NotFound)
        self.assertEqual(len(results[2].items), 3)

    def test_curve_gateway_answers_an_allowed_key_and_nobody_else(self):
        with RecServeClient(self.curve.endpoint, curve_server_key=self.keys / "gateway.pub", curve_key=self.keys / "alice.key") as client:
            self.assertEqual(len(client.recommend("alice", [1, 2], [10, 11, 12], k=2).items), 2)
        with RecServeClient(self.curve.endpoint, timeout_ms=500) as plain:
            with self.assertRaises(ClientTimeout):
                plain.recommend("eve", [1, 2], [10, 11], k=1)


if __name__ == "__main__":
    unittest.main()
