"""Drawing a review sample from classified reports: one job, the sample design.

``random`` is a simple random sample, or a stratified one (proportional or equal allocation)
with each report's inclusion probability and design weight recorded. ``uncertain`` takes the
reports whose probabilities lie nearest a label's threshold. ``mixed`` draws a random half
first, then the most uncertain of the rest, and marks which part each report came from.
Reports are returned in a random order, so a reviewer who stops part way has still reviewed a
random subset and reading fatigue does not line up with dates or sites.
"""

from __future__ import annotations

import numpy as np

from safetylens._review_choices import Allocation, Strategy
from safetylens.exceptions import DataValidationError

STRATEGIES = tuple(s.value for s in Strategy)
ALLOCATIONS = tuple(a.value for a in Allocation)


def allocate(sizes: list[int], n: int, allocation: str = "proportional") -> list[int]:
    """Split a sample of ``n`` over strata of the given sizes.

    Proportional allocation rounds by largest remainder; every stratum then gets at least two
    reports (or all it has) so that it can be estimated, taken from the largest allocations.
    Equal allocation gives each stratum ``n / H``. No stratum gets more than it holds; the
    excess goes to strata with room.

    Examples
    --------
    >>> allocate([100, 20], 12)
    [10, 2]
    >>> allocate([100, 20], 20, "equal")
    [10, 10]
    >>> allocate([100, 3], 20, "equal")
    [17, 3]
    >>> allocate([1000, 1], 10)
    [9, 1]
    """
    sizes = [int(s) for s in sizes]
    n = min(int(n), sum(sizes))
    total = sum(sizes)
    if allocation == "equal":
        ideal = [n / len(sizes)] * len(sizes)
    else:
        ideal = [n * s / total for s in sizes]
    counts = [int(x) for x in ideal]
    order = sorted(range(len(sizes)), key=lambda i: (-(ideal[i] - counts[i]), -sizes[i], i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    floor = [min(2, s) for s in sizes]
    for i in range(len(sizes)):
        while counts[i] < floor[i]:
            donor = max(range(len(sizes)), key=lambda j: (counts[j] - floor[j], -j))
            if counts[donor] <= floor[donor]:
                break
            counts[donor] -= 1
            counts[i] += 1
    # Cap at the stratum size and hand the excess to strata with room, largest first.
    excess = sum(max(c - s, 0) for c, s in zip(counts, sizes, strict=True))
    counts = [min(c, s) for c, s in zip(counts, sizes, strict=True)]
    while excess:
        room = [i for i in range(len(sizes)) if counts[i] < sizes[i]]
        if not room:
            break
        for i in sorted(room, key=lambda j: (-(sizes[j] - counts[j]), j)):
            if not excess:
                break
            counts[i] += 1
            excess -= 1
    return counts


def distance_to_threshold(probabilities: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each report, how near its closest label probability is to that label's threshold.

    Examples
    --------
    >>> import numpy as np
    >>> distance_to_threshold(np.array([[0.1, 0.52], [0.9, 0.95]]), np.array([0.5, 0.5]))
    array([0.02, 0.4 ])
    """
    return np.abs(np.asarray(probabilities, float) - np.asarray(thresholds, float)).min(axis=1)


def draw(
    pool,
    n: int,
    *,
    seed: int,
    strategy: str = "random",
    allocation: str = "proportional",
):
    """Draw the sample from ``pool`` and return its design, one row per sampled report.

    Parameters
    ----------
    pool : pandas.DataFrame
        One row per eligible report with columns ``row`` (1-based data row), ``stratum``
        (a string; one value for no strata) and ``distance`` (see
        :func:`distance_to_threshold`).
    n : int
        Reports wanted (all of the pool if it holds fewer).
    seed : int
        Seed of the draw; the same pool, ``n`` and seed give the same sample.
    strategy : {"random", "uncertain", "mixed"}, default="random"
    allocation : {"proportional", "equal"}, default="proportional"
        How a stratified random sample is split over strata.

    Returns
    -------
    pandas.DataFrame
        Columns ``row``, ``part`` ("random" or "uncertain"), ``stratum``, ``stratum_size``,
        ``stratum_sample_size``, ``inclusion_probability`` and ``weight`` (blank, NaN, for the
        uncertain part, which has no inclusion probability), in the order for the reviewer.

    Examples
    --------
    >>> import pandas as pd
    >>> pool = pd.DataFrame({"row": range(1, 11), "stratum": ["a"] * 6 + ["b"] * 4,
    ...                      "distance": [0.5] * 9 + [0.01]})
    >>> d = draw(pool, 4, seed=1, allocation="equal")
    >>> d.groupby("stratum")["weight"].first().to_dict()
    {'a': 3.0, 'b': 2.0}
    >>> draw(pool, 1, seed=1, strategy="uncertain")["row"].tolist()
    [10]
    """
    import pandas as pd

    strategy = getattr(strategy, "value", strategy)
    allocation = getattr(allocation, "value", allocation)
    if strategy not in STRATEGIES:
        raise DataValidationError(
            f"--strategy must be one of {', '.join(STRATEGIES)}; got '{strategy}'"
        )
    if allocation not in ALLOCATIONS:
        raise DataValidationError(
            f"--allocation must be one of {', '.join(ALLOCATIONS)}; got '{allocation}'"
        )
    if n < 1:
        raise DataValidationError(f"--n must be at least 1; got {n}")
    if not len(pool):
        raise DataValidationError("there are no reports with text to sample from")
    rng = np.random.default_rng(seed)
    n = min(int(n), len(pool))
    n_random = {"random": n, "uncertain": 0, "mixed": n - n // 2}[strategy]
    parts = []
    remaining = pool
    if n_random:
        chosen = _stratified(pool, n_random, rng, allocation)
        parts.append(chosen)
        remaining = pool[~pool["row"].isin(chosen["row"])]
    n_uncertain = n - n_random
    if n_uncertain:
        tiebreak = rng.random(len(remaining))
        order = np.lexsort((tiebreak, remaining["distance"].to_numpy(float)))
        picked = remaining.iloc[order[:n_uncertain]]
        parts.append(
            pd.DataFrame(
                {
                    "row": picked["row"].to_numpy(),
                    "part": "uncertain",
                    "stratum": picked["stratum"].to_numpy(),
                    "stratum_size": np.nan,
                    "stratum_sample_size": np.nan,
                    "inclusion_probability": np.nan,
                    "weight": np.nan,
                }
            )
        )
    design = pd.concat(parts, ignore_index=True)
    return design.iloc[rng.permutation(len(design))].reset_index(drop=True)


def _stratified(pool, n, rng, allocation):
    import pandas as pd

    names = sorted(pool["stratum"].unique().tolist(), key=str)
    groups = [pool[pool["stratum"] == name] for name in names]
    counts = allocate([len(g) for g in groups], n, allocation)
    pieces = []
    for name, group, k in zip(names, groups, counts, strict=True):
        if k == 0:
            continue
        index = rng.choice(len(group), size=k, replace=False)
        size = len(group)
        pieces.append(
            pd.DataFrame(
                {
                    "row": group["row"].to_numpy()[index],
                    "part": "random",
                    "stratum": name,
                    "stratum_size": float(size),
                    "stratum_sample_size": float(k),
                    "inclusion_probability": k / size,
                    "weight": size / k,
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)
