"""``safetylens its`` end to end: options, JSON contract, output files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from safetylens.cli import app

DATA = Path(__file__).parent / "data" / "its"
ANALYSIS_KEYS = {
    "group",
    "control",
    "cumulative",
    "model",
    "period",
    "rollout",
    "n_pre",
    "n_post",
    "n_phase_in",
    "terms",
    "rate_ratios",
    "post_trend",
    "effects",
    "diagnostics",
    "notes",
    "methods",
    "series",
}
TERM_KEYS = {"estimate", "se", "ci_low", "ci_high", "p_value"}
ROLLOUTS = {"North": "15/03/2021", "South": "2021-09-01"}


def invoke(*args):
    return CliRunner().invoke(app, ["its", *map(str, args)])


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """Two sites, 2019-2022, daily incidents; information-linked ones fall after go-live."""
    folder = tmp_path_factory.mktemp("its_export")
    rng = np.random.default_rng(2024)
    rows = []
    days = pd.date_range("2019-01-01", "2022-12-31", freq="D")
    for site, go_live in ROLLOUTS.items():
        live = pd.Timestamp(pd.to_datetime(go_live, dayfirst="/" in go_live))
        for day in days:
            linked_rate = 1.2 if day < live else 0.8
            for _ in range(rng.poisson(linked_rate)):
                rows.append((site, day.strftime("%d/%m/%Y"), "records_unavailable"))
            for _ in range(rng.poisson(1.0)):
                rows.append((site, day.strftime("%Y-%m-%d"), ""))
    pd.DataFrame(rows, columns=["site", "reported", "labels"]).to_csv(
        folder / "events.csv", index=False
    )
    months = pd.period_range("2019-01", "2022-12", freq="M")
    beds = pd.DataFrame(
        [
            (site, m.start_time.strftime("%d/%m/%Y"), 9000 + 10 * i)
            for site in ROLLOUTS
            for i, m in enumerate(months)
        ],
        columns=["site", "month", "bed_days"],
    )
    beds.to_csv(folder / "beds.csv", index=False)
    pd.DataFrame(list(ROLLOUTS.items()), columns=["site", "go_live"]).to_csv(
        folder / "rollouts.csv", index=False
    )
    return folder


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["its", "--help"])
    assert result.exit_code == 0
    for option in (
        "--rollout",
        "--date-col",
        "--period",
        "--label",
        "--information-linked",
        "--count-col",
        "--value-col",
        "--denominator-col",
        "--denominator",
        "--per",
        "--model",
        "--se",
        "--lags",
        "--ar",
        "--impact",
        "--seasonality",
        "--harmonics",
        "--phase-in",
        "--at",
        "--group-col",
        "--rollout-file",
        "--control",
        "--json",
        "--output-dir",
        "--seasonal-ar",
        "--arima-method",
        "--arima-intervals",
    ):
        assert option in result.output
    assert "Example: safetylens its" in result.output


def test_event_level_groups_denominators_and_outputs(export, tmp_path):
    out = tmp_path / "out"
    result = invoke(
        export / "events.csv",
        "--rollout-file",
        export / "rollouts.csv",
        "--group-col",
        "site",
        "--date-col",
        "reported",
        "--information-linked",
        "--denominator",
        export / "beds.csv",
        "--seasonality",
        "fourier",
        "--phase-in",
        "1",
        "--at",
        "1",
        "--at",
        "12",
        "--json",
        "--output-dir",
        out,
    )
    assert result.exit_code == 0, result.output
    analyses = json.loads(result.stdout)["analyses"]
    assert [a["group"] for a in analyses] == ["North", "South"]
    north, south = analyses
    for analysis in analyses:
        assert set(analysis) == ANALYSIS_KEYS
        assert analysis["model"] == "quasipoisson" and analysis["period"] == "month"
        assert {
            "intercept",
            "time",
            "level_change",
            "slope_change",
            "sin1",
            "cos1",
            "sin2",
            "cos2",
        } == set(analysis["terms"])
        assert all(set(term) == TERM_KEYS for term in analysis["terms"].values())
        assert set(analysis["rate_ratios"]) == {"level_change", "slope_change"}
        assert [e["at"] for e in analysis["effects"]] == [1, 12]
        assert set(analysis["series"][0]) == {
            "period",
            "count",
            "denominator",
            "fitted",
            "counterfactual",
            "phase",
        }
        assert len(analysis["series"]) == 48
        assert analysis["n_phase_in"] == 1
    # North: rollout 15 March 2021 -> pre Jan 2019..Feb 2021 (26), phase-in March, post 21.
    assert (north["rollout"], north["n_pre"], north["n_post"]) == ("2021-03-15", 26, 21)
    # South: rollout 1 September 2021 -> 32 pre, 1 phase-in, 15 post.
    assert (south["rollout"], south["n_pre"], south["n_post"]) == ("2021-09-01", 32, 15)
    assert north["series"][26]["phase"] == "phase_in" and north["series"][27]["phase"] == "post"
    assert north["series"][0]["denominator"] == 9000
    assert north["rate_ratios"]["level_change"]["estimate"] < 0.85  # simulated drop of a third
    assert north["effects"][0]["unit"] == "information-linked incidents per 1,000 bed days"

    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "its_01_North.png",
        "its_02_South.png",
        "its_results.csv",
        "its_results.json",
        "report.html",
    ]
    assert json.loads((out / "its_results.json").read_text()) == {"analyses": analyses}
    tidy = pd.read_csv(out / "its_results.csv")
    assert len(tidy) == 16 and tidy["term"].tolist()[:4] == [
        "intercept",
        "time",
        "level_change",
        "slope_change",
    ]
    level = tidy[(tidy["group"] == "North") & (tidy["term"] == "level_change")].iloc[0]
    assert level["rate_ratio"] == pytest.approx(north["rate_ratios"]["level_change"]["estimate"])
    assert (out / "its_01_North.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 2
    assert "http://" not in report and "https://" not in report
    assert "Lopez Bernal" in report and "Newey" in report and "<h2>1. North:" in report
    assert "wrote" in result.stderr


def test_controlled_against_a_control_group(export):
    result = invoke(
        export / "events.csv",
        "--rollout",
        "15/03/2021",
        "--group-col",
        "site",
        "--date-col",
        "reported",
        "--information-linked",
        "--control",
        "South",
        "--json",
    )
    assert result.exit_code == 0, result.output
    own, controlled = json.loads(result.stdout)["analyses"]
    assert own["group"] == controlled["group"] == "North"
    assert controlled["diagnostics"]["control_groups"] == ["South"]
    assert {
        "treated",
        "treated_time",
        "control_level_change",
        "control_slope_change",
        "level_change",
        "slope_change",
    } <= set(controlled["terms"])


def test_readable_table_by_default():
    result = invoke(
        DATA / "sicily.csv",
        "--rollout",
        "2005-01",
        "--date-col",
        "year,month",
        "--count-col",
        "aces",
        "--denominator-col",
        "stdpop",
    )
    assert result.exit_code == 0, result.output
    assert "Rate ratios" in result.stdout and "level_change" in result.stdout
    assert "Notes" in result.stdout


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        (
            "month,n\n2021-01,3\n2021-01,4\n2021-02,5\n",
            ["--count-col", "n"],
            "data.csv: data row 2: period 2021-01 appears more than once",
        ),
        (
            "month,n\n2021-01,3\n2021-02,-4\n",
            ["--count-col", "n"],
            "data.csv: column 'n', data row 2: a count must be a whole number of 0 or more",
        ),
        (
            "month,n,beds\n2021-01,3,0\n",
            ["--count-col", "n", "--denominator-col", "beds"],
            "data.csv: column 'beds', data row 1: a denominator must be above 0",
        ),
        (
            "month,n,beds\n2021-01,3,\n",
            ["--count-col", "n", "--denominator-col", "beds"],
            "data.csv: column 'beds', data row 1: not a number",
        ),
        (
            "month,n\n2021-01,3\nsoon,4\n",
            ["--count-col", "n"],
            "data.csv: column 'month', data row 2: cannot read the date",
        ),
        (
            "month,n\n" + "".join(f"2021-{m:02d},{m}\n" for m in range(1, 13)),
            ["--count-col", "n", "--rollout", "2030-01-01"],
            "rollout 2030-01-01 is outside the data (2021-01 to 2021-12)",
        ),
        (
            "month,n\n" + "".join(f"2021-{m:02d},{m}\n" for m in range(1, 13)),
            ["--count-col", "n", "--rollout", "2021-11-01"],
            "only 2 period(s) after the rollout",
        ),
        (
            "month,n\n" + "".join(f"2021-{m:02d},0\n" for m in range(1, 13)),
            ["--count-col", "n"],
            "every count is 0",
        ),
        ("month,n\n2021-01,3\n", ["--count-col", "count"], "data.csv: no column named 'count'"),
        (
            "month,n\n2021-01,3\n",
            ["--count-col", "n", "--label", "x"],
            "--label and --information-linked filter event-level rows",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, rows, args, message):
    path = tmp_path / "data.csv"
    path.write_text(rows)
    full = [path, "--date-col", "month", *args]
    if "--rollout" not in args:
        full += ["--rollout", "2021-07-01"]
    result = invoke(*full)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("safetylens: error: ")
    assert message in lines[-1]
    assert all(line.startswith("safetylens: ") for line in lines)
    assert "Traceback" not in result.output


def test_an_unknown_choice_is_refused_by_the_parser(tmp_path):
    """Choices are str enums shared with the library: Typer lists and enforces them."""
    path = tmp_path / "data.csv"
    path.write_text("month,n\n2021-01,3\n")
    result = invoke(path, "--date-col", "month", "--count-col", "n", "--model", "logit")
    assert result.exit_code == 2
    assert "'logit' is not one of" in result.output and "'quasipoisson'" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_missing_rollout(tmp_path):
    result = invoke(tmp_path / "nope.csv", "--rollout", "2021-01-01")
    assert result.exit_code == 2 and "nope.csv: no such file" in result.stderr
    (tmp_path / "d.csv").write_text("date\n01/01/2021\n")
    result = invoke(tmp_path / "d.csv")
    assert result.exit_code == 2 and "give a rollout date (--rollout)" in result.stderr


def test_real_subprocess_run():
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "safetylens",
            "its",
            str(DATA / "smoking_prop99.csv"),
            "--rollout",
            "1989",
            "--date-col",
            "year",
            "--period",
            "year",
            "--value-col",
            "cigsale",
            "--group-col",
            "state",
            "--se",
            "newey-west",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    analyses = json.loads(completed.stdout)["analyses"]
    assert len(analyses) == 39
    california = next(a for a in analyses if a["group"] == "3")
    assert round(california["terms"]["level_change"]["estimate"], 4) == -20.0581


def test_one_denominator_file_for_several_groups_is_flagged(export, tmp_path):
    beds = pd.read_csv(export / "beds.csv")
    beds[beds["site"] == "North"][["month", "bed_days"]].to_csv(tmp_path / "b.csv", index=False)
    result = invoke(
        export / "events.csv",
        "--rollout-file",
        export / "rollouts.csv",
        "--group-col",
        "site",
        "--date-col",
        "reported",
        "--denominator",
        tmp_path / "b.csv",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert "b.csv has no 'site' column: every group was given the same denominators" in (
        result.stderr
    )
    for analysis in json.loads(result.stdout)["analyses"]:
        assert any("same denominators" in w for w in analysis["notes"])


def test_share_of_information_linked_incidents_from_event_rows(export):
    result = invoke(
        export / "events.csv",
        "--rollout",
        "15/03/2021",
        "--date-col",
        "reported",
        "--information-linked",
        "--share",
        "--json",
    )
    assert result.exit_code == 0, result.output
    (analysis,) = json.loads(result.stdout)["analyses"]
    assert analysis["model"] == "quasibinomial" and analysis["rate_ratios"] is None
    assert analysis["odds_ratios"]["level_change"]["estimate"] < 1
    rows = analysis["series"]
    assert all(r["count"] <= r["total"] for r in rows)
    c = analysis["cumulative"]
    window = [r for r in rows if c["from"] <= r["period"] <= c["to"]]
    assert c["observed"] == sum(r["count"] for r in window)
    assert c["expected"] == pytest.approx(sum(r["counterfactual"] for r in window))
    assert set(c) >= {
        "observed",
        "expected",
        "difference",
        "difference_ci",
        "relative",
        "relative_ci",
    }


def test_total_col_matches_the_library_and_r(tmp_path):
    ref = pd.read_csv(DATA / "binomial_reference.csv").set_index(["model", "term"])
    result = invoke(
        DATA / "share_series.csv",
        "--date-col",
        "month",
        "--count-col",
        "linked",
        "--total-col",
        "total",
        "--model",
        "binomial",
        "--rollout",
        "2021-01-01",
        "--json",
    )
    assert result.exit_code == 0, result.output
    (analysis,) = json.loads(result.stdout)["analyses"]
    expected = ref.loc[("binomial", "level_change"), "estimate"]
    assert analysis["terms"]["level_change"]["estimate"] == pytest.approx(expected, rel=1e-6)


def test_two_rollouts_sensitivity_control_key_and_window(export):
    result = invoke(
        export / "events.csv",
        "--rollout",
        "01/06/2020",
        "--rollout",
        "15/03/2021",
        "--date-col",
        "reported",
        "--group-col",
        "site",
        "--information-linked",
        "--control",
        "South",
        "--from",
        "2019-01-01",
        "--to",
        "2022-06-30",
        "--sensitivity",
        "--json",
    )
    assert result.exit_code == 0, result.output
    own, controlled = json.loads(result.stdout)["analyses"]
    assert own["control"] is None and controlled["control"] == ["South"]
    assert {"level_change_2", "slope_change_2"} <= set(own["terms"])
    assert own["rollouts"] == ["2020-06-01", "2021-03-15"]
    assert own["series"][-1]["period"] == "2022-06"
    assert len(own["sensitivity"]) >= 4
    assert {"specification", "model", "level_change", "slope_change", "error"} <= set(
        own["sensitivity"][0]
    )


def test_a_group_that_cannot_be_fitted_is_reported_and_the_others_complete(tmp_path):
    rows = ["site,month,n"]
    for m in range(1, 25):
        rows.append(
            f"A,2021-{(m - 1) % 12 + 1:02d},{30 + m % 3}".replace("2021", str(2021 + (m - 1) // 12))
        )
        rows.append(f"B,{2021 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d},0")
    path = tmp_path / "two.csv"
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "missing" / "dir"
    result = invoke(
        path,
        "--date-col",
        "month",
        "--count-col",
        "n",
        "--group-col",
        "site",
        "--rollout",
        "2022-01-01",
        "--json",
        "--output-dir",
        out,
    )
    assert result.exit_code == 3, result.output
    a, b = json.loads(result.stdout)["analyses"]
    assert a["group"] == "A" and "error" not in a
    assert b == {
        "group": "B",
        "control": None,
        "error": "every count is 0; there is nothing to model",
    }
    assert "site 'B': every count is 0" in result.stderr
    assert "1 of 2 analyses could not be fitted: site 'B'" in result.stderr
    assert (out / "report.html").exists() and "could not be analysed" in (
        out / "report.html"
    ).read_text()


def test_warnings_name_their_group(export):
    result = invoke(
        export / "events.csv",
        "--rollout-file",
        export / "rollouts.csv",
        "--group-col",
        "site",
        "--date-col",
        "reported",
        "--period",
        "quarter",
        "--json",
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "warning" in line]
    assert any(line.startswith("safetylens: warning: site 'South': Only 6") for line in lines)
    assert all(
        line.startswith(
            ("safetylens: warning: site 'North': ", "safetylens: warning: site 'South': ")
        )
        for line in lines
    )


def test_power_command_json_contract_and_calibration():
    """A large effect is found (power >= 0.95); at 0 the rejection rate is near alpha."""
    base = [
        DATA / "sicily.csv",
        "--date-col",
        "year,month",
        "--count-col",
        "aces",
        "--denominator-col",
        "stdpop",
        "--rollout",
        "2005-01-01",
        "--sims",
        "400",
        "--json",
    ]
    result = CliRunner().invoke(app, ["power", *map(str, base), "--effect", "-0.3"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"power", "mde", "sims", "alpha"} <= set(out)
    assert out["power"] >= 0.95 and out["sims"] == 400 and out["alpha"] == 0.05
    assert -0.3 < out["mde"] < 0
    null = json.loads(
        CliRunner().invoke(app, ["power", *map(str, base), "--effect", "0", "--seed", "7"]).stdout
    )
    assert 0.02 <= null["power"] <= 0.09


def test_power_help_and_plain_output():
    result = CliRunner().invoke(app, ["power", "--help"])
    assert result.exit_code == 0 and "--effect" in result.output and "Example:" in result.output
    result = CliRunner().invoke(
        app,
        [
            "power",
            str(DATA / "sicily.csv"),
            "--date-col",
            "year,month",
            "--count-col",
            "aces",
            "--rollout",
            "2005-01-01",
            "--effect",
            "-0.2",
            "--sims",
            "50",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "minimum detectable effect at 80% power" in result.stdout
