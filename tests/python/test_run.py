"""Python beside the command line on real data: a PRLERegressor fitted on the cached features of
a `prle run` on STS-B (hashing encoder, 64 wide; defaults otherwise), with the run's seed,
validation rows and label range, predicts what the run wrote (issue 14: to 1e-6); prle.load_run
predicts the run's test rows from their texts and from their embeddings; on a run that keeps
the neighbour term, Run.neighbour_rows names the rows `prle predict --explain` names; and
Run.predict_interval gives the intervals of `prle predict --interval`.
Environment (ctest sets it): PRLE_CLI the prle binary, PRLE_SHARED_DATA, PRLE_TEST_TMP."""
import csv
import json
import os
import shutil
import subprocess
import sys
import unittest

import numpy as np

import prle

SHARED = os.environ.get("PRLE_SHARED_DATA") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "data")
CONFIG = """data:
  name: stsb
  data_dir: {shared}
  embedding_cache_dir: cache
model:
  encoder_type: hashing
  hidden_dim: 64
train:
  output_dir: runs
  seed: 3
"""


class RunFolder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = os.path.join(os.environ.get("PRLE_TEST_TMP", "/tmp"), "python_run")
        shutil.rmtree(cls.dir, ignore_errors=True)
        os.makedirs(cls.dir)
        with open(os.path.join(cls.dir, "stsb.yaml"), "w") as f:
            f.write(CONFIG.format(shared=os.path.abspath(SHARED)))
        subprocess.run([os.environ["PRLE_CLI"], "-q", "run", "stsb.yaml", "--no-analyze",
                        "--no-report"], cwd=cls.dir, check=True, stdout=subprocess.DEVNULL)
        cls.run_dir = os.path.join(cls.dir, "runs", "stsb")
        cls.folder = prle.load_run(cls.run_dir)
        with open(os.path.join(cls.run_dir, "predictions_test.csv")) as f:
            cls.cli = np.array([float(r["prediction"]) for r in csv.DictReader(f)])
        cls.x = {s: np.load(os.path.join(cls.dir, "cache", s + "_embeds.npy"))
                 for s in prle.run.SPLITS}

    def test_python_fit_is_the_cli_fit(self):
        y = {s: self.folder.labels(s) for s in prle.run.SPLITS}
        self.assertEqual([len(y[s]) for s in prle.run.SPLITS], [5749, 1500, 1379])
        est = prle.PRLERegressor(random_state=3, label_range=(0, 5))
        est.fit(self.x["train"], y["train"], eval_set=(self.x["validation"], y["validation"]))
        p = est.predict(self.x["test"])
        np.testing.assert_allclose(p, self.cli, rtol=0, atol=1e-6)
        self.assertEqual(est.neighbour_weight_, self.folder.neighbour_weight)  # the same choice
        with open(os.path.join(self.run_dir, "metrics.json")) as f:
            pearson = json.load(f)["splits"]["test"]["raw"]["pearson"]
        self.assertAlmostEqual(np.corrcoef(p, y["test"])[0, 1], pearson, places=6)
        np.testing.assert_array_equal(np.sort(est.prototype_rows_), np.sort(self.folder.prototype_rows))

    def test_load_run_predicts_texts_and_embeddings(self):
        np.testing.assert_allclose(self.folder.predict(embeddings=self.x["test"]), self.cli,
                                   rtol=0, atol=1e-6)
        out = subprocess.run([os.environ["PRLE_CLI"], "predict", self.run_dir, "--split", "test",
                              "--format", "json"], check=True, capture_output=True, text=True)
        rows = [json.loads(line) for line in out.stdout.splitlines()[:40]]
        p = self.folder.predict(texts=[r["text"] for r in rows], texts2=[r["text2"] for r in rows])
        # texts encoded one batch at a time round differently from the cached split (1e-6)
        np.testing.assert_allclose(p, self.cli[:40], rtol=1e-5, atol=0)
        np.testing.assert_allclose(p, [r["prediction"] for r in rows], rtol=1e-5, atol=0)
        e = self.folder.explain(embeddings=self.x["test"][:40], k=3)
        np.testing.assert_allclose(e.prediction, self.cli[:40], rtol=1e-5, atol=0)  # its own sum
        np.testing.assert_allclose(e.contributions.sum(1) + e.rest, e.prediction, atol=1e-5)
        self.assertTrue(np.all(np.isin(e.rows, self.folder.prototype_rows)))

    def test_intervals(self):
        """predict_interval: the plain rule against numpy on the run's validation residuals,
        and both rules against `prle predict --interval` (%.9g in its JSON: the same float32)"""
        yv = self.folder.labels("validation")
        with open(os.path.join(self.run_dir, "predictions_validation.csv")) as f:
            pv = np.array([float(r["prediction"]) for r in csv.DictReader(f)], dtype=np.float32)
        r = np.sort(np.abs(yv - pv.astype(np.float64)))
        q = r[int(np.ceil((len(r) + 1) * 0.9)) - 1]  # the ceil((n + 1) level)-th smallest
        yhat, lo, hi = self.folder.predict_interval(embeddings=self.x["test"], level=0.9)
        np.testing.assert_allclose(yhat, self.cli, rtol=0, atol=1e-6)
        np.testing.assert_allclose(lo, np.clip(yhat - q, 0, 5), rtol=0, atol=1e-5)
        np.testing.assert_allclose(hi, np.clip(yhat + q, 0, 5), rtol=0, atol=1e-5)
        self.assertTrue(0.85 < np.mean((lo <= self.folder.labels("test")) &
                                       (self.folder.labels("test") <= hi)) < 0.95)
        for flags, adaptive in (([], False), (["--adaptive"], True)):
            out = subprocess.run([os.environ["PRLE_CLI"], "predict", self.run_dir, "--split",
                                  "test", "--interval", "0.9", "--format", "json"] + flags,
                                 check=True, capture_output=True, text=True)
            rows = [json.loads(line) for line in out.stdout.splitlines()]
            _, lo, hi = self.folder.predict_interval(embeddings=self.x["test"], adaptive=adaptive)
            np.testing.assert_array_equal(lo.astype(np.float32),
                                          np.array([r["lo"] for r in rows], dtype=np.float32))
            np.testing.assert_array_equal(hi.astype(np.float32),
                                          np.array([r["hi"] for r in rows], dtype=np.float32))
        with self.assertRaises(ValueError):
            self.folder.predict_interval(embeddings=self.x["test"][:2], level=1.0)
        closed = prle.load_run(self.run_dir)
        closed.close()
        with self.assertRaises(ValueError):  # not a crash on the freed handle
            closed.predict_interval(embeddings=self.x["test"][:2])
        with self.assertRaises(ValueError) as cm:  # nor here (it segfaulted)
            closed.labels("test")
        self.assertIn("the run is closed", str(cm.exception))

    def test_errors(self):
        with self.assertRaises(prle.InputError) as cm:
            self.folder.predict(embeddings=self.x["test"][:, :10])
        self.assertIn("rows are 10 wide, the run's kernel takes 320", str(cm.exception))
        with self.assertRaises(prle.InputError):
            self.folder.predict(texts=["one text"])  # pairs need both texts
        # texts are strings or UTF-8 bytes: a missing value is refused, not predicted as the
        # text "None" or "nan"; bytes are their text, not their repr
        a, b = "A man is playing a guitar.", "A man plays the guitar."
        for bad in (None, float("nan"), 3):
            with self.assertRaises(TypeError) as cm:
                self.folder.predict(texts=[a, bad], texts2=[b, b])
            self.assertIn("texts[1] is", str(cm.exception))
        for bad, why in ((b"\xff\xfe", "not UTF-8"), ("a\0b", "NUL")):
            with self.assertRaises(ValueError) as cm:
                self.folder.predict(texts=[a], texts2=[bad])
            self.assertIn(why, str(cm.exception))
        self.assertEqual(self.folder.predict(texts=[a.encode()], texts2=[b.encode()])[0],
                         self.folder.predict(texts=[a], texts2=[b])[0])
        with self.assertRaises(prle.NotFoundError) as cm:
            prle.load_run(os.path.join(self.dir, "no-such-run"))
        self.assertIn("no-such-run", str(cm.exception))
        # the width is checked by every method, neighbour_rows too (a run without the term
        # returned empty rows for any width)
        with self.assertRaises(prle.InputError) as cm:
            self.folder.neighbour_rows(embeddings=self.x["test"][:, :10])
        self.assertIn("rows are 10 wide, the run's kernel takes 320", str(cm.exception))
        # inputs that would be read as something else are refused
        with self.assertRaises(TypeError):
            self.folder.predict(texts={a: 1}, texts2={b: 1})  # a dict's keys, in no order
        with self.assertRaises(TypeError):
            self.folder.predict(texts=np.array([[a]]), texts2=np.array([[b]]))
        with self.assertRaises(ValueError) as cm:
            self.folder.predict(texts2=[b], embeddings=self.x["test"][:1])
        self.assertIn("texts2 goes with texts", str(cm.exception))
        for bad in (self.x["test"][:2] + 1j, self.x["test"][:2] > 0,
                    np.full((2, 320), None, dtype=object)):
            with self.assertRaises(TypeError) as cm:
                self.folder.predict(embeddings=bad)
            self.assertIn("real numbers", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            self.folder.explain(embeddings=self.x["test"][:1], k=2.5)
        self.assertIn("an integer", str(cm.exception))
        with self.assertRaises(ValueError):
            prle.load_run("")
        with prle.load_run(os.fsencode(self.run_dir)) as same:  # bytes paths, as os functions take
            self.assertEqual(same.predict(embeddings=self.x["test"][:2]).tolist(),
                             self.folder.predict(embeddings=self.x["test"][:2]).tolist())
        rows, labels = self.folder.neighbour_rows(embeddings=self.x["test"][:3])
        self.assertEqual(rows.shape, (3, 0) if self.folder.neighbour_weight == 0 else rows.shape)
        if self.folder.neighbour_weight == 0:
            self.assertTrue(np.all(np.isnan(self.folder.neighbour_predictions(
                embeddings=self.x["test"][:3]))))


class NeighbourTerm(unittest.TestCase):
    """A run that keeps the neighbour term (labels set by which of 60 directions a row points
    in, precomputed embeddings): Run.neighbour_rows names the rows prle predict --explain names."""

    def test_rows_match_the_cli(self):
        d = os.path.join(os.environ.get("PRLE_TEST_TMP", "/tmp"), "python_neighbours")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "emb"))
        rng = np.random.RandomState(12)
        dirs, value = rng.randn(60, 6), rng.randn(60)
        for split, n in (("train", 800), ("validation", 200), ("test", 200)):
            g = rng.randint(0, 60, n)
            np.save(os.path.join(d, "emb", f"{split}_embeds.npy"),
                    (dirs[g] + 0.3 * rng.randn(n, 6) + 3).astype(np.float32))
            with open(os.path.join(d, f"{split}.csv"), "w") as f:
                f.write("text,label\n")
                f.writelines(f"row {i},{v:.6f}\n" for i, v in enumerate(value[g] + 0.1 * rng.randn(n)))
        with open(os.path.join(d, "nb.yaml"), "w") as f:
            f.write("data:\n  name: directions\n  files: {train: train.csv, validation: "
                    "validation.csv, test: test.csv}\n  text_fields: [text]\n  label_field: label\n"
                    "  embedding_cache_dir: emb\nmodel:\n  encoder_type: npy\ntrain:\n  seed: 2\n"
                    "  output_dir: runs\n")
        subprocess.run([os.environ["PRLE_CLI"], "-q", "run", "nb.yaml", "--no-analyze",
                        "--no-report"], cwd=d, check=True, stdout=subprocess.DEVNULL)
        run = os.path.join(d, "runs", "nb")
        folder = prle.load_run(run)
        self.assertGreater(folder.neighbour_weight, 0)
        x = np.load(os.path.join(d, "emb", "test_embeds.npy"))[:20]
        rows, labels = folder.neighbour_rows(embeddings=x)
        out = subprocess.run([os.environ["PRLE_CLI"], "predict", run, "--embeddings",
                              os.path.join(d, "emb", "test_embeds.npy"), "--explain", "1",
                              "--format", "json"], check=True, capture_output=True, text=True)
        cli = [json.loads(line)["neighbours"]["rows"] for line in out.stdout.splitlines()[:20]]
        self.assertEqual(rows.tolist(), [[r["index"] for r in c] for c in cli])
        np.testing.assert_array_equal(  # %.9g in the JSON: the same float32
            labels, np.array([[r["label"] for r in c] for c in cli], dtype=np.float32))
        np.testing.assert_array_equal(labels, folder.labels("train")[rows])
        # and the prediction c the CLI prints beside them (%.9g: the same float32)
        c = folder.neighbour_predictions(embeddings=x)
        cli_c = [json.loads(line)["neighbours"]["prediction"] for line in out.stdout.splitlines()[:20]]
        np.testing.assert_array_equal(c.astype(np.float32), np.array(cli_c, dtype=np.float32))


if __name__ == "__main__":
    if not os.path.isfile(os.path.join(SHARED, "stsb", "sts-train.csv")):
        print(f"skip: no STS-B files in {SHARED}/stsb")
        sys.exit(77)
    unittest.main()
