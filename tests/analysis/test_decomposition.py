"""The decomposition methods on signals of known make-up, and the grid built from a real store."""

from __future__ import annotations

import json

import numpy as np

from plr_luigi.analysis import decomposition

TIME = np.arange(1981) / 30.0
LIGHT = np.where((TIME >= 15.5) & (TIME <= 24.7), 1.0, 0.0) + \
    np.where((TIME >= 46.5) & (TIME <= 55.6), 1.0, 0.0)


def _signals(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Signals made of the three templates with known per-signal amplitudes, plus noise."""
    rng = np.random.default_rng(seed)
    templates = decomposition.light_templates(TIME, LIGHT)
    amplitudes = rng.uniform(0.5, 1.5, size=(n, 3)) * [0.3, 1.0, 0.6]
    return amplitudes @ templates + rng.normal(0, 0.01, (n, len(TIME))), amplitudes


def test_template_fit_recovers_the_amplitudes_it_was_made_of():
    signals, amplitudes = _signals(200)
    result = decomposition.decompose_category(signals, TIME, LIGHT)
    template = result["template"]
    waveforms = decomposition.bin_signals(decomposition.light_templates(TIME, LIGHT))[0]
    expected = amplitudes.mean(axis=0)[:, None] * waveforms
    assert np.allclose(template["mean"], expected, atol=0.03)
    assert (template["ci_lo"] <= template["mean"] + 1e-12).all()
    assert (template["mean"] <= template["ci_hi"] + 1e-12).all()


def test_every_method_gives_three_waveforms_in_the_light_response():
    signals, _ = _signals(150, seed=1)
    binned, t, lit = decomposition.bin_signals(signals, TIME, LIGHT)
    binned = decomposition.baseline_corrected(binned, t, lit)
    templates = decomposition.bin_signals(decomposition.light_templates(TIME, LIGHT))[0]
    fitted = decomposition.fit_waveforms(binned, templates)
    assert tuple(fitted) == decomposition.METHODS
    for method, waveforms in fitted.items():
        assert waveforms.shape == (3, len(t)) and np.isfinite(waveforms).all(), method
        # the three templates span the signals: the fitted waveforms explain them almost fully
        scores = np.linalg.lstsq(waveforms.T, binned.T, rcond=None)[0]
        residual = binned - (waveforms.T @ scores).T
        # sparse PCA trades a little fit
        assert (residual ** 2).sum() < 0.1 * (binned ** 2).sum(), method


def test_the_components_do_not_depend_on_the_number_of_blas_threads():
    """The signals database's float32 samples, decomposed with OpenBLAS on one thread and on
    two: the same values to the decimals the figure's JSON keeps (in float32 some differed)."""
    from threadpoolctl import threadpool_limits

    signals = _signals(1500, seed=2)[0].astype(np.float32)
    results = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            result = decomposition.decompose_category(signals, TIME, LIGHT)
        results.append({(method, part): np.round(values, 4)
                        for method in decomposition.METHODS
                        for part, values in result[method].items()})
    one, two = results
    assert one.keys() == two.keys()
    assert all(np.array_equal(one[key], two[key]) for key in one)


def test_the_grid_of_the_demo_store(built):
    from plr_luigi.study.upstream_names import preprocessing_categories

    figure = json.loads((built["outputs"] / "figures" / "decomposition_grid.json").read_text())
    assert set(figure["data"]) == set(preprocessing_categories())
    for category, entry in figure["data"].items():
        assert entry["n_signals"] >= 248, category
        for method in decomposition.METHODS:
            mean, lo, hi = (np.array(entry[method][k]) for k in ("mean", "ci_lo", "ci_hi"))
            assert mean.shape == (3, len(entry["time"]))
            assert (lo <= mean + 1e-3).all() and (mean <= hi + 1e-3).all()
    assert figure["choices"]["n_bootstrap"] == 100


def test_the_grid_without_a_store_is_marked_unavailable(built, tmp_path):
    import luigi
    from support.settings import plr_settings

    from plr_luigi.tasks import DecompositionGrid

    with plr_settings(**{**built["settings"], "tracking_uri": "",
                         "output_dir": str(tmp_path)}):
        assert luigi.build([DecompositionGrid()], local_scheduler=True)
    status = json.loads((tmp_path / "figures" / "decomposition_grid.unavailable.json")
                        .read_text())
    assert status["status"] == "unavailable" and "tracking_uri" in status["reason"]
