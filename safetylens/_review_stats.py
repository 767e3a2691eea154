"""Accuracy figures with intervals for a reviewed sample: one job, the statistics.

Proportions (precision, recall, prevalence, agreement) get Wilson score intervals; F1 and
macro F1 get percentile bootstrap intervals from resampling reports (within strata when the
sample was stratified). With design weights, a proportion is the weighted ratio and its Wilson
interval uses Kish's effective sample size ``(sum w)**2 / sum w**2`` of the reports in its
denominator. Group differences are tested with Pearson's chi-squared test on (effective)
counts, or Fisher's exact test for two unweighted groups with small expected counts.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054
"""The 97.5% point of the standard normal distribution."""

N_BOOT = 2000
"""Bootstrap resamples for F1 intervals."""


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).

    Parameters
    ----------
    successes : float
        Number of successes (may be fractional: a weighted proportion times ``n``).
    n : float
        Number of trials, or an effective sample size; ``None`` is returned when it is 0.
    z : float, default=1.96
        Normal quantile (the default gives a 95% interval).

    Returns
    -------
    (float, float) or None

    Examples
    --------
    Newcombe's (1998) example, 81 of 263, has the Wilson interval 0.2553 to 0.3662:

    >>> [round(x, 4) for x in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> wilson_interval(0, 0) is None
    True
    """
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def weighted_proportion(hits, weights) -> tuple[float | None, tuple[float, float] | None, float]:
    """A weighted proportion, its Wilson interval at the effective size, and that size.

    Parameters
    ----------
    hits : array of bool
        One entry per report in the denominator.
    weights : array of float
        Design weights of those reports (all 1 for a simple random sample).

    Returns
    -------
    (estimate, interval, effective_n)
        ``(None, None, 0.0)`` for an empty denominator.

    Examples
    --------
    >>> est, ci, n_eff = weighted_proportion([True, False, True, True], [1, 1, 1, 1])
    >>> est, n_eff, [round(x, 3) for x in ci]
    (0.75, 4.0, [0.301, 0.954])
    """
    hits = np.asarray(hits, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if len(hits) == 0 or total <= 0:
        return None, None, 0.0
    estimate = float(weights[hits].sum() / total)
    n_eff = float(total**2 / (weights**2).sum())
    return estimate, wilson_interval(estimate * n_eff, n_eff), n_eff


def _f1(tp, fp, fn):
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = 2 * tp + fp + fn
        return np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), np.nan)


def bootstrap_counts(strata, n_boot: int, seed: int) -> np.ndarray:
    """How often each report is drawn in each bootstrap resample, shape (n_boot, n).

    Reports are resampled with replacement within each stratum, keeping the stratum sizes.
    """
    strata = np.asarray(strata)
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_boot, len(strata)), dtype=np.int32)
    for value in sorted(set(strata.tolist()), key=str):
        members = np.flatnonzero(strata == value)
        counts[:, members] = rng.multinomial(
            len(members), np.full(len(members), 1 / len(members)), size=n_boot
        )
    return counts


def accuracy(truth, pred, weights, strata, *, n_boot: int = N_BOOT, seed: int = 0) -> dict:
    """Precision, recall and F1 per column, macro F1, "any" and prevalence, with intervals.

    Parameters
    ----------
    truth, pred : array of bool, shape (n, k)
        Reviewer's and model's labels, one column per label.
    weights : array of float, shape (n,)
        Design weights.
    strata : array, shape (n,)
        Stratum of each report (one value for a simple random sample).
    n_boot : int, default=2000
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``per_label`` (a list, one dict per column with ``precision``, ``precision_ci``,
        ``recall``, ``recall_ci``, ``f1``, ``f1_ci``, ``support``, and the effective sizes),
        ``macro_f1``, ``macro_f1_ci``, ``any`` (the same fields for "any label"),
        ``prevalence`` (list of ``estimate``, ``ci``). Undefined figures are ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([[1], [1], [0], [0]], bool); p = np.array([[1], [0], [1], [0]], bool)
    >>> out = accuracy(t, p, np.ones(4), np.zeros(4), n_boot=200)
    >>> out["per_label"][0]["precision"], out["per_label"][0]["recall"], out["per_label"][0]["f1"]
    (0.5, 0.5, 0.5)
    """
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    weights = np.asarray(weights, dtype=float)
    n, k = truth.shape
    truth8 = np.column_stack([truth, truth.any(axis=1)])
    pred8 = np.column_stack([pred, pred.any(axis=1)])
    tp = (truth8 & pred8).astype(float) * weights[:, None]
    fp = (~truth8 & pred8).astype(float) * weights[:, None]
    fn = (truth8 & ~pred8).astype(float) * weights[:, None]
    point_f1 = _f1(tp.sum(0), fp.sum(0), fn.sum(0))
    if n:
        counts = bootstrap_counts(strata, n_boot, seed).astype(float)
        boot_f1 = _f1(counts @ tp, counts @ fp, counts @ fn)
    else:
        boot_f1 = np.full((1, k + 1), np.nan)
    rows = []
    for j in range(k + 1):
        precision, precision_ci, n_p = weighted_proportion(
            truth8[pred8[:, j], j], weights[pred8[:, j]]
        )
        recall, recall_ci, n_r = weighted_proportion(pred8[truth8[:, j], j], weights[truth8[:, j]])
        f1 = None if np.isnan(point_f1[j]) else float(point_f1[j])
        rows.append(
            {
                "precision": precision,
                "precision_ci": precision_ci,
                "recall": recall,
                "recall_ci": recall_ci,
                "f1": f1,
                "f1_ci": _percentile_ci(boot_f1[:, j]) if f1 is not None else None,
                "support": int(truth8[:, j].sum()),
                "n_precision": n_p,
                "n_recall": n_r,
            }
        )
    defined = [j for j in range(k) if not np.isnan(point_f1[j])]
    macro = float(np.mean(point_f1[defined])) if defined else None
    macro_ci = None
    if defined:
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                boot_macro = np.nanmean(boot_f1[:, :k], axis=1)
        macro_ci = _percentile_ci(boot_macro)
    prevalence = []
    for j in range(k):
        estimate, ci, _ = weighted_proportion(truth[:, j], weights)
        prevalence.append({"estimate": estimate, "ci": ci})
    return {
        "per_label": rows[:k],
        "macro_f1": macro,
        "macro_f1_ci": macro_ci,
        "any": rows[k],
        "prevalence": prevalence,
        "n_labels_in_macro": len(defined),
    }


def _percentile_ci(values) -> tuple[float, float] | None:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def agreement(truth, pred) -> list[dict]:
    """Share of reports on which reviewer and model agree, per column, with Wilson intervals.

    Examples
    --------
    >>> import numpy as np
    >>> agreement(np.array([[1], [0]], bool), np.array([[1], [1]], bool))[0]["agreement"]
    0.5
    """
    truth = np.asarray(truth, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    out = []
    for j in range(truth.shape[1]):
        same = int((truth[:, j] == pred[:, j]).sum())
        n = len(truth)
        out.append(
            {
                "agreement": same / n if n else None,
                "agreement_ci": wilson_interval(same, n),
                "reviewer_yes": int(truth[:, j].sum()),
                "model_yes": int(pred[:, j].sum()),
            }
        )
    return out


def difference_test(proportions: list[float], sizes: list[float], weighted: bool) -> dict:
    """Test whether proportions differ between groups more than chance would explain.

    Parameters
    ----------
    proportions : list of float
        The (weighted) proportion in each group.
    sizes : list of float
        Each group's denominator (its effective size when weighted).
    weighted : bool
        Whether the sizes are effective sizes (then Fisher's exact test is not used).

    Returns
    -------
    dict
        ``test`` ("chi-squared" or "Fisher exact"), ``p_value`` (``None`` when a group has an
        empty denominator or nothing varies).

    Examples
    --------
    >>> round(difference_test([0.9, 0.5], [100, 100], False)["p_value"], 8)
    0.0
    >>> difference_test([0.5, 0.5], [40, 40], False)["p_value"]
    1.0
    """
    from scipy import stats

    sizes = [float(s) for s in sizes]
    if len(sizes) < 2 or any(s <= 0 or p is None for p, s in zip(proportions, sizes, strict=True)):
        return {"test": None, "p_value": None}
    hits = [p * s for p, s in zip(proportions, sizes, strict=True)]
    total = sum(sizes)
    pooled = sum(hits) / total
    if pooled in (0.0, 1.0):
        return {"test": "chi-squared", "p_value": 1.0}
    expected = [min(s * pooled, s * (1 - pooled)) for s in sizes]
    if len(sizes) == 2 and not weighted and min(expected) < 5:
        table = [[round(h), round(s - h)] for h, s in zip(hits, sizes, strict=True)]
        return {"test": "Fisher exact", "p_value": float(stats.fisher_exact(table)[1])}
    statistic = sum(s * (p - pooled) ** 2 for p, s in zip(proportions, sizes, strict=True)) / (
        pooled * (1 - pooled)
    )
    return {"test": "chi-squared", "p_value": float(stats.chi2.sf(statistic, len(sizes) - 1))}


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of p-values (``None`` stays ``None``).

    Examples
    --------
    >>> holm([0.01, 0.04, None, 0.03])
    [0.03, 0.06, None, 0.06]
    """
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = round(running, 12)
    return adjusted
