"""The decomposition grid: 5 methods x 5 preprocessing categories, 3 components each, from the
imputation runs' reconstructed signals (private signals database).

Choices (also in docs/statistics-and-figures.md, "Preprocessing quality, outlier difficulty,
decomposition"):
- Signals of a category (the imputation runs whose outlier source is in it, train and test
  pooled, every subject) are averaged in bins of BIN_SAMPLES samples (0.5 s) and corrected by
  their own pre-stimulus baseline (mean before the first light onset).
- Each method is fitted once per category, on at most MAX_FIT_SIGNALS signals (a seeded random
  subset: sparse PCA on thousands of signals takes minutes): template fit (three fixed
  waveforms from the light protocol: phasic, sustained, post-illumination), PCA
  (scikit-learn), Promax-rotated PCA loadings (factor_analyzer's Rotator), sparse PCA
  (scikit-learn, alpha SPARSE_ALPHA, its lasso steps by coordinate descent), and GED
  (scipy.linalg.eigh of the signal covariance against the covariance of the high-frequency
  residual, shrunk by GED_SHRINKAGE: the components of highest signal-to-noise ratio).
- Every signal's component scores are its least-squares coefficients on the three waveforms;
  a component's mean waveform is the mean score times its waveform (sign-free), and its 95% CI
  the 2.5 / 97.5 percentiles over N_BOOTSTRAP resamples of the pooled signals (the fitted
  waveforms are held fixed: the interval is that of the component's amplitude).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

METHODS = ("template", "pca", "promax", "sparse_pca", "ged")
METHOD_LABELS = {"template": "Template fit", "pca": "PCA", "promax": "Promax-rotated PCA",
                 "sparse_pca": "Sparse PCA", "ged": "GED"}
TEMPLATE_NAMES = ("phasic", "sustained", "post-illumination")
N_COMPONENTS = 3
BIN_SAMPLES = 15
MAX_FIT_SIGNALS = 1000
N_BOOTSTRAP = 100
SPARSE_ALPHA = 1.0
GED_SHRINKAGE = 0.01
PHASIC_TAU_S, SUSTAINED_TAU_S, PIPR_TAU_S = 0.5, 1.0, 10.0


def bin_signals(signals: np.ndarray, *axes: np.ndarray) -> list[np.ndarray]:
    """Mean over consecutive bins of BIN_SAMPLES samples (the incomplete last bin dropped) of
    the (n, samples) signals and of each 1-D axis (time, light), in float64 whatever their type.

    The signals database keeps float32 samples; fitted in float32, the components' 4th decimal
    (the figure's JSON keeps 4) depended on how many threads OpenBLAS split a product over, so
    on the machine's cores. In float64 it does not (tests/analysis/test_decomposition.py)."""
    n_bins = signals.shape[1] // BIN_SAMPLES
    cut = n_bins * BIN_SAMPLES

    def binned(values: np.ndarray) -> np.ndarray:
        return values[..., :cut].reshape(*values.shape[:-1], n_bins, BIN_SAMPLES).mean(
            axis=-1, dtype=np.float64)

    return [binned(signals), *(binned(a) for a in axes)]


def baseline_corrected(signals: np.ndarray, time: np.ndarray, light: np.ndarray) -> np.ndarray:
    onset = time[np.argmax(light > 0)]
    return signals - signals[:, time < onset].mean(axis=1, keepdims=True)


def light_templates(time: np.ndarray, light: np.ndarray) -> np.ndarray:
    """(3, bins) constriction waveforms (negative: the pupil shrinks), each of peak 1: phasic
    (a transient after each light onset), sustained (constriction while the light is on) and
    post-illumination (the decay after each offset)."""
    on = light > 0
    onsets = time[1:][on[1:] & ~on[:-1]]
    offsets = time[1:][~on[1:] & on[:-1]]
    phasic = np.zeros_like(time)
    for t0 in onsets:
        lag = np.clip(time - t0, 0, None) / PHASIC_TAU_S
        phasic += lag ** 2 * np.exp(-lag)
    dt = time[1] - time[0]
    kernel = np.exp(-np.arange(0, 5 * SUSTAINED_TAU_S, dt) / SUSTAINED_TAU_S)
    sustained = np.convolve(on.astype(float), kernel)[:len(time)]
    pipr = np.zeros_like(time)
    for t0 in offsets:
        pipr = np.maximum(pipr, np.where(time > t0, np.exp(-(time - t0) / PIPR_TAU_S), 0.0))
    waveforms = np.vstack([phasic, sustained, pipr])
    return -waveforms / np.abs(waveforms).max(axis=1, keepdims=True)


def _ged(signals: np.ndarray) -> np.ndarray:
    from scipy.linalg import eigh
    from scipy.ndimage import uniform_filter1d

    centred = signals - signals.mean(axis=0)
    noise = centred - uniform_filter1d(centred, size=5, axis=1)
    s_cov, r_cov = np.cov(centred, rowvar=False), np.cov(noise, rowvar=False)
    r_cov += GED_SHRINKAGE * np.trace(r_cov) / len(r_cov) * np.eye(len(r_cov))
    values, vectors = eigh(s_cov, r_cov)
    top = vectors[:, np.argsort(values)[::-1][:N_COMPONENTS]].T
    return top / np.linalg.norm(top, axis=1, keepdims=True)


def fit_waveforms(signals: np.ndarray, templates: np.ndarray) -> dict[str, np.ndarray]:
    """method -> (3, bins) component waveforms fitted on (n, bins) signals, for every method of
    METHODS; the template fit's are the (binned) light templates themselves. One PCA serves
    PCA and Promax (the rotation starts from its loadings)."""
    from factor_analyzer.rotator import Rotator
    from sklearn.decomposition import PCA, SparsePCA

    pca = PCA(N_COMPONENTS, random_state=0).fit(signals)
    loadings = pca.components_.T * np.sqrt(pca.explained_variance_)
    waveforms = {
        "template": templates,
        "pca": pca.components_,
        "promax": Rotator(method="promax").fit_transform(loadings).T,
        # Coordinate descent (compiled) solves the lasso steps LARS solves (sklearn's default,
        # a Python loop per bin and iteration) in 0.55x the time; the waveforms agree to 2e-4.
        "sparse_pca": SparsePCA(N_COMPONENTS, alpha=SPARSE_ALPHA, method="cd",
                                random_state=0).fit(signals).components_,
        "ged": _ged(signals)}
    return {method: waveforms[method] for method in METHODS}


def component_summary(signals: np.ndarray, waveforms: np.ndarray,
                      rng: np.random.Generator) -> dict[str, np.ndarray]:
    """mean, ci_lo, ci_hi (3, bins) of each component's waveform over the signals: scores by
    least squares, bootstrap of the mean score."""
    scores = np.linalg.lstsq(waveforms.T, signals.T, rcond=None)[0]  # (3, n)
    draws = rng.integers(0, signals.shape[0], size=(N_BOOTSTRAP, signals.shape[0]))
    boot = scores[:, draws].mean(axis=2)  # (3, N_BOOTSTRAP)
    curves = boot[:, :, None] * waveforms[:, None, :]
    lo, hi = np.percentile(curves, [2.5, 97.5], axis=1)
    return {"mean": scores.mean(axis=1)[:, None] * waveforms, "ci_lo": lo, "ci_hi": hi}


def decompose_category(signals: np.ndarray, time: np.ndarray, light: np.ndarray,
                       seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """method -> component summary for one category's (n, samples) signals; binned time in
    the result under "time"."""
    binned, t, lit = bin_signals(signals, time, light)
    binned = baseline_corrected(binned, t, lit)
    # templates at full resolution, binned as the signals are: a 0.5 s transient would
    # otherwise be sampled, not averaged
    templates = bin_signals(light_templates(time, light))[0]
    rng = np.random.default_rng(seed)
    fit_rows = (binned if len(binned) <= MAX_FIT_SIGNALS
                else binned[rng.choice(len(binned), MAX_FIT_SIGNALS, replace=False)])
    result: dict = {"time": t}
    for method, waveforms in fit_waveforms(fit_rows, templates).items():
        result[method] = component_summary(binned, waveforms, rng)
    return result


def decompose_categories(signals_database: Path, outlier_methods: list[str],
                         categories: tuple[str, ...]) -> tuple[dict, dict]:
    """Every category's decomposition from the private signals database: (grid, data).

    grid[category] is decompose_category's result, or None where the category has fewer than
    2 x N_COMPONENTS signals; data[category] is what the figure's JSON records of it (signal
    count, outlier methods, and the rounded waveforms with their CIs). One category's signals
    are in memory at a time."""
    from plr_luigi.database.signals_database import read_signals
    from plr_luigi.study.upstream_names import preprocessing_category

    grid, data = {}, {}
    for category in categories:
        members = [m for m in outlier_methods if preprocessing_category(m) == category]
        signals, time, light = read_signals(signals_database, members)
        logger.info("decomposition: %s, %d signals", category, len(signals))
        data[category] = {"n_signals": len(signals), "outlier_methods": members}
        if len(signals) < 2 * N_COMPONENTS:
            grid[category] = None
            continue
        grid[category] = decompose_category(signals, time, light)
        data[category].update({
            "time": grid[category]["time"].round(3).tolist(),
            **{m: {k: v.round(4).tolist() for k, v in grid[category][m].items()}
               for m in METHODS}})
        del signals
    return grid, data
