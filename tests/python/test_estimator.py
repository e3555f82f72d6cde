"""prle.PRLERegressor (python/prle) over libprle.so: scikit-learn's own estimator checks, pickling,
explanations that sum to the predictions, split-conformal intervals, the predictor file, errors.
Run by ctest with Debian's python3, PYTHONPATH=python and PRLE_LIBRARY=the build's libprle.so."""
import os
import pickle
import tempfile
import unittest
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import check_estimator

import prle


def data(n, seed, d=6):
    """y = 3 sin(2 x0) + x1^2 on uniform [-1, 1) features, small noise."""
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, (n, d))
    return x, 3 * np.sin(2 * x[:, 0]) + x[:, 1] ** 2 + 0.05 * rng.randn(n)


class Estimator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.x, cls.y = data(600, 1)
        cls.xt, cls.yt = data(200, 2)
        cls.est = prle.PRLERegressor(random_state=3).fit(cls.x, cls.y)

    def test_sklearn_checks(self):
        # every check of scikit-learn's suite, none skipped by us (pandas is installed, so
        # check_regressor_data_not_an_array runs too)
        with warnings.catch_warnings():
            warnings.simplefilter("error", category=UserWarning)  # e.g. a skipped check
            # its regression data are linear in one feature: a ridge is better there, and says so
            warnings.simplefilter("ignore", category=prle.RidgeBetterWarning)
            check_estimator(prle.PRLERegressor())

    def test_fits_the_function(self):
        self.assertGreater(self.est.score(self.xt, self.yt), 0.9)
        self.assertEqual(self.est.n_features_in_, 6)
        self.assertEqual(self.est.n_prototypes_, 25)
        self.assertEqual(len(set(self.est.prototype_rows_)), 25)
        self.assertTrue(np.all((self.est.prototype_rows_ >= 0) & (self.est.prototype_rows_ < 600)))

    def test_explain_sums_to_the_prediction(self):
        e = self.est.explain(self.xt[:50], k=4)
        self.assertEqual(e.rows.shape, (50, 4))
        np.testing.assert_allclose(e.prediction, self.est.predict(self.xt[:50]), rtol=1e-5)
        np.testing.assert_allclose(e.contributions.sum(1) + e.rest, e.prediction, atol=1e-5)
        np.testing.assert_allclose(e.weights * e.local, e.contributions, rtol=1e-6, atol=1e-7)
        self.assertTrue(np.all(np.diff(e.weights, axis=1) <= 0))  # heaviest first
        self.assertTrue(np.all(np.isin(e.rows, self.est.prototype_rows_)))
        np.testing.assert_array_equal(self.est.prototype_rows_[e.slots], e.rows)
        full = self.est.explain(self.xt[:5], k=100)  # every prototype: rest is nothing
        self.assertEqual(full.rows.shape, (5, 25))
        np.testing.assert_allclose(full.weights.sum(1), 1, atol=1e-5)

    def test_predict_interval(self):
        """Intervals calibrated on an eval_set: the plain rule's q is the ceil((m + 1) 0.9)-th
        smallest absolute residual of the eval rows, computed here; the ends clip to the label
        range; pickling keeps the calibration rows."""
        xv, yv = data(150, 4)
        est = prle.PRLERegressor(random_state=5, label_range=(-3.5, 4.5)).fit(
            self.x, self.y, eval_set=(xv, yv))
        self.assertEqual(est.n_calibration_, 150)
        r = np.sort(np.abs(yv - est.predict(xv).astype(np.float32)))
        q = r[int(np.ceil(151 * 0.9)) - 1]
        yhat, lo, hi = est.predict_interval(self.xt, level=0.9)
        np.testing.assert_array_equal(yhat, est.predict(self.xt))
        np.testing.assert_allclose(lo, np.clip(yhat - q, -3.5, 4.5), rtol=0, atol=1e-5)
        np.testing.assert_allclose(hi, np.clip(yhat + q, -3.5, 4.5), rtol=0, atol=1e-5)
        inside = np.mean((lo <= self.yt) & (self.yt <= hi))
        self.assertTrue(0.8 <= inside <= 0.99, inside)
        # XGBoost's and LightGBM's form, a list of one pair, fits the same model
        same = prle.PRLERegressor(random_state=5, label_range=(-3.5, 4.5)).fit(
            self.x, self.y, eval_set=[(xv, yv)])
        np.testing.assert_array_equal(same.predict(self.xt), est.predict(self.xt))
        with self.assertRaisesRegex(ValueError, "eval_set takes one pair"):
            prle.PRLERegressor().fit(self.x, self.y, eval_set=[(xv, yv), (xv, yv)])
        # a label outside label_range is named in this class's words
        with self.assertRaisesRegex(ValueError, r"y\[\d+\] = .* lies outside label_range "
                                                r"\(-1\.0, 1\.0\)"):
            prle.PRLERegressor(label_range=(-1.0, 1.0)).fit(self.x, self.y)
        _, alo, ahi = est.predict_interval(self.xt, level=0.9, adaptive=True)
        self.assertFalse(np.allclose(ahi - alo, hi - lo))  # widths follow the routing
        back = pickle.loads(pickle.dumps(est))
        self.assertEqual(back.n_calibration_, 150)
        for a, b in zip(back.predict_interval(self.xt, 0.8, True), est.predict_interval(self.xt, 0.8, True)):
            np.testing.assert_array_equal(a, b)
        with self.assertRaises(ValueError):
            est.predict_interval(self.xt, level=0)
        # without held-out rows there is nothing to calibrate on
        small = prle.PRLERegressor(random_state=5, val_fraction=0).fit(self.x[:40], self.y[:40])
        self.assertEqual(small.n_calibration_, 0)
        with self.assertRaises(prle.InputError) as cm:
            small.predict_interval(self.xt)
        self.assertIn("no held-out rows", str(cm.exception))

    def test_file_keeps_params_and_feature_names(self):
        class Named(np.ndarray):  # a table with column names, as a pandas DataFrame has
            pass
        x = np.ascontiguousarray(self.x[:200]).view(Named)
        x.columns = [f"f{i}" for i in range(6)]
        est = prle.PRLERegressor(n_prototypes=7, label_range=(-4, 4), neighbours=False,
                                 config={"kernel.center_inputs": True, "model.tau_top1": 0.6},
                                 random_state=np.random.RandomState(0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", prle.RidgeBetterWarning)
            est.fit(x, self.y[:200])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.prle")
            est.save(path)
            back = prle.PRLERegressor.load(path)
            want = dict(est.get_params(), random_state=None)  # a RandomState is not kept
            self.assertEqual(back.get_params(), want)
            self.assertEqual(back.label_range, (-4, 4))
            self.assertEqual(list(back.feature_names_in_), [f"f{i}" for i in range(6)])
            self.assertEqual(back.feature_names_in_.dtype, object)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # the same names: no feature-name warning
                np.testing.assert_array_equal(back.predict(x), est.predict(x))
            self.assertEqual(clone(back).get_params(), want)
            # without names, and with an int seed: kept as given
            plain = prle.PRLERegressor(n_prototypes=5, random_state=11).fit(self.x[:100],
                                                                           self.y[:100])
            plain.save(path)
            back = prle.PRLERegressor.load(path)
            self.assertEqual(back.get_params(), plain.get_params())
            self.assertFalse(hasattr(back, "feature_names_in_"))
            # another caller's text in the file (a C program's): the defaults, no error
            for text in (b"not json", b'{"format": "other"}', b"[1, 2]",
                         b'{"format": "prle-sklearn", "params": [1]}'):
                prle._lib.check(prle._lib.lib.prle_predictor_set_user_text(plain._handle.ptr, text))
                prle._lib.check(prle._lib.lib.prle_predictor_save(plain._handle.ptr,
                                                                  path.encode()))
                back = prle.PRLERegressor.load(path)
                self.assertEqual(back.get_params(), prle.PRLERegressor().get_params())
                np.testing.assert_array_equal(back.predict(self.xt), plain.predict(self.xt))
        # a config value JSON cannot hold is refused by save, naming the argument
        odd = prle.PRLERegressor(n_prototypes=5, random_state=1).fit(self.x[:100], self.y[:100])
        odd.config = {"kernel.center_inputs": object()}
        with self.assertRaises(ValueError) as cm:
            odd.save(os.path.join(tempfile.gettempdir(), "never.prle"))
        self.assertIn("config=", str(cm.exception))

    def test_pickle_and_file(self):
        p = self.est.predict(self.xt)
        back = pickle.loads(pickle.dumps(self.est))
        np.testing.assert_array_equal(back.predict(self.xt), p)
        np.testing.assert_array_equal(back.prototype_rows_, self.est.prototype_rows_)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.prle")
            self.est.save(path)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), self.est._handle.to_bytes())
            loaded = prle.PRLERegressor.load(path)
            np.testing.assert_array_equal(loaded.predict(self.xt), p)
            self.assertEqual(loaded.n_features_in_, 6)
            with open(path, "r+b") as f:
                f.truncate(100)
            with self.assertRaises(prle.InputError) as cm:
                prle.PRLERegressor.load(path)
            self.assertIn(path, str(cm.exception))
        with self.assertRaises(prle.InputError) as cm:
            pickle.loads(pickle.dumps(self.est).replace(b"PRLEPRD5", b"PRLEPRD9"))
        self.assertIn("not a PRLE predictor file", str(cm.exception))
        # one byte changed inside: the checksum refuses it, not other predictions
        raw = self.est._handle.to_bytes()
        bad = raw[:200] + bytes([raw[200] ^ 1]) + raw[201:]
        state = self.est.__getstate__()
        state["_handle"] = bad
        with self.assertRaises(prle.InputError) as cm:
            prle.PRLERegressor().__setstate__(state)
        self.assertIn("checksum does not match", str(cm.exception))

    def test_neighbour_term(self):
        # labels set by which of 60 directions a row points in, more than 25 local experts can
        # tell apart: the fit keeps the nearest rows' term (a large gain on its 120 validation
        # rows); neighbours=False leaves it out
        rng = np.random.RandomState(12)
        dirs = rng.randn(60, 6)
        g = rng.randint(0, 60, 1000)
        x = dirs[g] + 0.3 * rng.randn(1000, 6) + 3
        y = rng.randn(60)[g] + 0.1 * rng.randn(1000)
        est = prle.PRLERegressor(random_state=2).fit(x[:800], y[:800])
        self.assertGreater(est.neighbour_weight_, 0.5)
        self.assertLessEqual(est.neighbour_weight_, 1)
        off = prle.PRLERegressor(random_state=2, neighbours=False).fit(x[:800], y[:800])
        self.assertEqual(off.neighbour_weight_, 0)
        self.assertGreater(est.score(x[800:], y[800:]), off.score(x[800:], y[800:]) + 0.05)
        p = est.predict(x[800:])
        back = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(back.predict(x[800:]), p)
        self.assertEqual(back.neighbour_weight_, est.neighbour_weight_)
        e = est.explain(x[800:810], k=2)
        np.testing.assert_allclose(e.contributions.sum(1) + e.rest, p[:10], atol=1e-4)
        # the rows it averages: rows of the X given to fit, most of the input's own direction
        rows, labels = est.neighbour_rows(x[800:810])
        self.assertEqual(rows.shape[0], 10)
        self.assertGreaterEqual(rows.shape[1], 5)
        self.assertTrue(np.all((rows >= 0) & (rows < 800)))
        np.testing.assert_array_equal(labels, y[:800][rows].astype(np.float32))
        self.assertGreater(np.mean(g[:800][rows] == g[800:810, None]), 0.5)
        np.testing.assert_array_equal(back.neighbour_rows(x[800:810])[0], rows)
        self.assertEqual(off.neighbour_rows(x[800:810])[0].shape, (10, 0))
        # their prediction c: the labels averaged, evenly or by 1/distance, so within their
        # range, and nearer the inputs' labels than their mean is
        c = est.neighbour_predictions(x[800:810])
        self.assertEqual(c.shape, (10,))
        self.assertTrue(np.all((c >= labels.min(1) - 1e-6) & (c <= labels.max(1) + 1e-6)))
        self.assertLess(np.mean(np.abs(c - y[800:810])), np.mean(np.abs(y[800:810] - y.mean())))
        np.testing.assert_array_equal(back.neighbour_predictions(x[800:810]), c)
        self.assertTrue(np.all(np.isnan(off.neighbour_predictions(x[800:810]))))
        # a few dozen validation rows cannot tell a small gain from noise: it stays off
        small = prle.PRLERegressor(random_state=2).fit(self.x[:300], self.y[:300])
        self.assertEqual(small.neighbour_weight_, 0)

    def test_same_bits_for_any_thread_count(self):
        a = prle.PRLERegressor(random_state=5, n_jobs=1).fit(self.x[:300], self.y[:300])
        b = prle.PRLERegressor(random_state=5, n_jobs=2).fit(self.x[:300], self.y[:300])
        np.testing.assert_array_equal(a.predict(self.xt), b.predict(self.xt))
        c = prle.PRLERegressor(random_state=6, n_jobs=2).fit(self.x[:300], self.y[:300])
        self.assertFalse(np.array_equal(a.predict(self.xt), c.predict(self.xt)))

    def test_params_reach_the_library(self):
        est = prle.PRLERegressor(n_prototypes=7, router="knn", knn_k=2, expert="mlp",
                                 random_state=0, config={"kernel.proj_dim": 3})
        est.fit(self.x[:200], self.y[:200])
        self.assertEqual(est.n_prototypes_, 7)
        e = est.explain(self.xt[:20], k=7)
        self.assertTrue(np.all((e.weights > 0).sum(1) <= 2))  # knn router, k = 2
        self.assertEqual(clone(est).get_params()["config"], {"kernel.proj_dim": 3})
        scores = cross_val_score(prle.PRLERegressor(random_state=0), self.x[:300], self.y[:300], cv=3)
        self.assertTrue(np.all(scores > 0.8), scores)

    def test_centring_from_the_data(self):
        # rows far from the origin (offset ratio about 300): the default centres them, the
        # same bits as kernel.center_inputs true; None passes YAML null, the default
        x, y, xt = self.x[:200] + 10.0, self.y[:200], self.xt + 10.0
        base, null, on, off = (
            prle.PRLERegressor(random_state=4, config=c).fit(x, y).predict(xt)
            for c in (None, {"kernel.center_inputs": None}, {"kernel.center_inputs": True},
                      {"kernel.center_inputs": False}))
        np.testing.assert_array_equal(base, null)
        np.testing.assert_array_equal(base, on)
        self.assertFalse(np.array_equal(base, off))

    def test_eval_set(self):
        a = prle.PRLERegressor(random_state=2).fit(self.x[:400], self.y[:400],
                                                   eval_set=(self.x[400:], self.y[400:]))
        self.assertGreater(a.score(self.xt, self.yt), 0.9)
        with self.assertRaises(ValueError):
            a.fit(self.x[:400], self.y[:400], eval_set=(self.x[400:, :3], self.y[400:]))

    def test_refit_on_every_row(self):
        # refit (the default): the held-out rows' figures are the first fit's, the model the
        # refit's; refit=False keeps the first fit, an eval_set is never refitted
        off = prle.PRLERegressor(random_state=3, refit=False).fit(self.x, self.y)
        self.assertEqual(off.validation_mse_, self.est.validation_mse_)
        widths = [np.median(np.subtract(*m.predict_interval(self.xt[:20])[:0:-1]))
                  for m in (off, self.est)]
        self.assertGreater(widths[0], 0)
        np.testing.assert_allclose(widths[0], widths[1], rtol=1e-5)  # the same q
        self.assertFalse(np.array_equal(off.predict(self.xt), self.est.predict(self.xt)))
        self.assertGreater(self.est.score(self.xt, self.yt), off.score(self.xt, self.yt) - 0.005)
        ev = (self.x[500:], self.y[500:])
        a = prle.PRLERegressor(random_state=2).fit(self.x[:500], self.y[:500], eval_set=ev)
        b = prle.PRLERegressor(random_state=2, refit=False).fit(self.x[:500], self.y[:500],
                                                                eval_set=ev)
        np.testing.assert_array_equal(a.predict(self.xt), b.predict(self.xt))
        self.assertIs(clone(off).refit, False)
        with self.assertRaises(ValueError) as cm:
            prle.PRLERegressor(refit="yes").fit(self.x, self.y)
        self.assertIn("refit must be True or False", str(cm.exception))

    def test_ridge_yardstick(self):
        """validation_mse_: PRLE's MSE on the held-out rows is its predictions', the ridge's is
        scikit-learn's Ridge at the alpha of the grid with the lowest validation MSE, and fit
        warns exactly when the ridge is the better (linear data of many features: it is, even
        after the linear kernel the fit then tries and keeps; not with a kernel named)."""
        from sklearn.linear_model import Ridge
        rng = np.random.RandomState(0)
        beta = np.zeros(60)
        beta[:10] = rng.randn(10)
        x = rng.randn(500, 60)
        y = x @ beta + 0.1 * rng.randn(500)
        xt, yt, xv, yv = x[:400], y[:400], x[400:], y[400:]
        with self.assertWarns(prle.RidgeBetterWarning) as cm:
            m = prle.PRLERegressor(random_state=1).fit(xt, yt, eval_set=(xv, yv))
        self.assertIn("a ridge on the same features", str(cm.warning))
        self.assertIn("with the linear kernel the fit tried and kept", str(cm.warning))
        v = m.validation_mse_
        self.assertEqual(v["n_rows"], 100)
        np.testing.assert_allclose(v["prle"], np.mean((m.predict(xv) - yv) ** 2), rtol=1e-4)
        mse = {a: np.mean((Ridge(alpha=a).fit(xt, yt).predict(xv) - yv) ** 2)
               for a in (1e-2, 1e-1, 1, 10, 100, 1e3, 1e4)}
        best = min(mse, key=mse.get)
        self.assertEqual(v["ridge_alpha"], best)
        np.testing.assert_allclose(v["ridge"], mse[best], rtol=1e-3)
        self.assertLess(v["ridge"], v["prle"])
        # the ridge beat the resmlp kernel, so a linear kernel was fitted too and kept: it
        # scores better on the held-out rows than the kernel asked for by name
        self.assertEqual(m.kernel_, "linear")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", prle.RidgeBetterWarning)
            named = prle.PRLERegressor(kernel="resmlp", random_state=1).fit(
                xt, yt, eval_set=(xv, yv))
            keyed = prle.PRLERegressor(config={"kernel.projection_type": "resmlp"},
                                       random_state=1).fit(xt, yt, eval_set=(xv, yv))
        self.assertEqual((named.kernel_, keyed.kernel_), ("resmlp", "resmlp"))
        # a linear kernel asked for in config is fitted, not tried: the warning says no more
        with self.assertWarns(prle.RidgeBetterWarning) as asked:
            lin = prle.PRLERegressor(config={"kernel.projection_type": "linear"},
                                     random_state=1).fit(xt, yt, eval_set=(xv, yv))
        self.assertEqual(lin.kernel_, "linear")
        self.assertNotIn("tried", str(asked.warning))
        self.assertLess(v["prle"], 0.75 * named.validation_mse_["prle"])  # 0.34 against 0.59
        self.assertEqual(named.validation_mse_["ridge"], v["ridge"])
        back = pickle.loads(pickle.dumps(m))
        self.assertEqual(back.validation_mse_, v)
        self.assertEqual(back.kernel_, "linear")
        with tempfile.TemporaryDirectory() as d:
            m.save(os.path.join(d, "p.prle"))
            self.assertEqual(prle.PRLERegressor.load(os.path.join(d, "p.prle")).validation_mse_, v)
        # the class's nonlinear function: PRLE is far better, no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error", category=prle.RidgeBetterWarning)
            fit = prle.PRLERegressor(random_state=3).fit(self.x, self.y)
        self.assertLess(fit.validation_mse_["prle"], 0.2 * fit.validation_mse_["ridge"])
        self.assertEqual(fit.kernel_, "resmlp")
        self.assertEqual(fit.validation_mse_["n_rows"], 90)
        # nothing held out (fewer than 20 rows): no yardstick, no warning
        small = prle.PRLERegressor(random_state=3).fit(self.x[:15], self.y[:15])
        self.assertEqual(small.validation_mse_["n_rows"], 0)
        self.assertTrue(np.isnan(small.validation_mse_["ridge"]))

    def test_errors(self):
        with self.assertRaises(prle.InputError) as cm:
            prle.PRLERegressor(router="nearest").fit(self.x, self.y)
        self.assertIn("model.gating_strategy", str(cm.exception))
        with self.assertRaises(prle.InputError) as cm:
            prle.PRLERegressor(val_fraction=1.5).fit(self.x, self.y)
        self.assertIn("val_fraction must be in [0, 1)", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            self.est.predict(self.xt[:, :4])
        self.assertIn("4 features", str(cm.exception))
        with self.assertRaises(ValueError):
            self.est.explain(self.xt, k=0)
        # labels single precision cannot hold to 1 % of their spread (a large offset) are
        # refused before the fit, not fitted into noise
        spread = float(self.y.max() - self.y.min())
        with self.assertRaises(ValueError) as cm:
            prle.PRLERegressor().fit(self.x, self.y + 1e9)
        self.assertIn("subtract an offset", str(cm.exception))
        self.assertLess(spread, 1e9 * 2**-24 * 100)  # so the offset is what loses them
        # beyond float32's range, or too small for it: rescale, not an offset
        for scale, what in ((1e39, "beyond single precision's range"), (1e-46, "rescale it")):
            with self.assertRaisesRegex(ValueError, what):
                prle.PRLERegressor().fit(self.x, self.y * scale)
        with self.assertRaisesRegex(ValueError, r"X holds .*beyond single precision's range"):
            prle.PRLERegressor().fit(self.x * 1e39, self.y)
        # eval_set labels are held to the same rules as y
        with self.assertRaisesRegex(ValueError, r"eval_set y\[\d+\] = .* lies outside"):
            prle.PRLERegressor(label_range=(-3.5, 4.5)).fit(
                self.x[:400], self.y[:400], eval_set=(self.x[400:], self.y[400:] + 100))
        with self.assertRaisesRegex(ValueError, "low must be below high"):
            prle.PRLERegressor(label_range=(3, -2)).fit(self.x, self.y)
        for bad in ({"neighbours": "yes"}, {"neighbours": 0}, {"n_jobs": 0}, {"n_jobs": 2.5}):
            with self.assertRaises(ValueError):
                prle.PRLERegressor(**bad).fit(self.x[:100], self.y[:100])
        with self.assertRaisesRegex(ValueError, "k must be an integer"):
            self.est.explain(self.xt, k=None)

    def test_failed_refit_keeps_the_fit(self):
        # validation resets n_features_in_ before the library refuses the labels: the fitted
        # model stays whole and predicts as before
        est = prle.PRLERegressor(random_state=3, n_jobs=1).fit(self.x[:300], self.y[:300])
        before = est.predict(self.xt)
        with self.assertRaises(ValueError):
            est.fit(self.x[:300, :3], self.y[:300] + 1e9)
        self.assertEqual(est.n_features_in_, 6)
        np.testing.assert_array_equal(est.predict(self.xt), before)

    def test_n_jobs_as_scikit_learn(self):
        from prle.estimator import _threads
        self.assertEqual(_threads(None), 1)  # scikit-learn's None: one thread
        self.assertEqual(_threads(2), 2)
        cores = len(os.sched_getaffinity(0))
        self.assertEqual(_threads(-1), cores)
        self.assertEqual(_threads(-2), max(1, cores - 1))
        self.assertEqual(_threads(-100), 1)


if __name__ == "__main__":
    unittest.main()
