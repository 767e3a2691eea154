"""Simulated series for the exact-ML arima and binomial checks against R (fixed seed).

Writes ``arima_series.csv`` (long format: one row per series and period, segmented regression
with AR(1) or AR(2) errors, 12+12 to 60+60 periods) and ``share_series.csv`` (information-linked
incidents among all incidents per month). ``arima_ml_reference.R`` fits both in R and writes
the reference numbers the tests compare with. Run from this folder: python make_arima_series.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AR = {1: [(0.3,), (0.6,)], 2: [(0.5, -0.3), (0.4, 0.3)]}
SIZES = (12, 24, 36, 60)


def ar_errors(rng, phi, n, burn=200):
    e = rng.normal(size=n + burn)
    out = np.zeros(n + burn)
    for t in range(n + burn):
        out[t] = e[t] + sum(p * out[t - i - 1] for i, p in enumerate(phi) if t - i - 1 >= 0)
    return out[burn:]


def main() -> None:
    rng = np.random.default_rng(20261204)
    rows = []
    series_id = 0
    for order, phis in AR.items():
        for size in SIZES:
            for phi in phis:
                for _ in range(2):
                    series_id += 1
                    n = 2 * size
                    t = np.arange(n, dtype=float)
                    post = t >= size
                    mean = 10 + 0.05 * t - 1.5 * post - 0.05 * np.where(post, t - size, 0)
                    y = mean + ar_errors(rng, phi, n)
                    for i in range(n):
                        rows.append((series_id, order, size, size, i, round(float(y[i]), 6)))
    pd.DataFrame(rows, columns=["series", "ar", "n_pre", "n_post", "t", "y"]).to_csv(
        "arima_series.csv", index=False
    )
    months = pd.period_range("2019-01", periods=48, freq="M")
    total = rng.poisson(400, size=48)
    t = np.arange(48)
    post = t >= 24
    eta = -1.0 + 0.005 * t - 0.35 * post - 0.01 * np.where(post, t - 24, 0)
    p = 1 / (1 + np.exp(-eta))
    p = np.clip(p * rng.gamma(50, 1 / 50, size=48), 0, 1)  # overdispersed shares
    linked = rng.binomial(total, p)
    pd.DataFrame({"month": months.astype(str), "linked": linked, "total": total}).to_csv(
        "share_series.csv", index=False
    )


if __name__ == "__main__":
    main()
