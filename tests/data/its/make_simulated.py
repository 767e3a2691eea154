"""Write the simulated series used by tests/test_its_models.py (and simulated_r_check.R).

Run: python tests/data/its/make_simulated.py (writes beside this file). Fixed seeds; the CSVs
are committed so the tests, and R for whoever has it, read exactly the same numbers.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def main() -> None:
    N_PRE = N_POST = 30
    t = np.arange(N_PRE + N_POST, dtype=float)
    post = (t >= N_PRE).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, post * (t - N_PRE)])
    months = pd.period_range("2015-01", periods=len(t), freq="M").astype(str)

    # Overdispersed counts (negative binomial, size 8) with bed-day denominators.
    rng = np.random.default_rng(20240601)
    bed_days = rng.uniform(8000, 12000, len(t)).round()
    eta = X @ np.array([np.log(2.5e-3), 0.004, -0.25, -0.006]) + np.log(bed_days)
    counts = rng.negative_binomial(8, 8 / (8 + np.exp(eta)))
    pd.DataFrame({"month": months, "count": counts, "bed_days": bed_days.astype(int)}).to_csv(
        HERE / "simulated_counts.csv", index=False
    )

    # A continuous outcome with AR(1) errors (phi 0.5).
    rng = np.random.default_rng(7)
    shocks = rng.normal(0, 1.5, len(t))
    errors = np.zeros(len(t))
    for i in range(len(t)):
        errors[i] = (0.5 * errors[i - 1] if i else 0) + shocks[i]
    value = X @ np.array([50.0, 0.2, -6.0, -0.15]) + errors
    pd.DataFrame({"month": months, "value": [repr(float(v)) for v in value]}).to_csv(
        HERE / "simulated_continuous.csv", index=False
    )


if __name__ == "__main__":
    main()
