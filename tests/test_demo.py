"""safetylens demo: the whole job on the shipped sample export."""

import json

import pandas as pd
import pytest
from conftest import SAMPLE
from typer.testing import CliRunner

from safetylens.cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--output-dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return folder, result


def test_demo_writes_every_output(demo):
    folder, result = demo
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "classified_incidents.csv",
        "its_01_Northgate_General_Hospital_information-linked.png",
        "its_02_Northgate_General_Hospital_information-linked_vs_control.png",
        "its_03_Riverside_Community_Hospital_information-linked.png",
        "its_04_Riverside_Community_Hospital_information-linked_vs_control.png",
        "its_results.csv",
        "its_results.json",
        "report.html",
    ]
    assert "rows read 5085, rows written 5085" in result.stderr
    assert "report.html" in result.stderr


def test_demo_classification_keeps_every_row_and_agrees_with_the_intended_labels(demo):
    folder, _ = demo
    source = pd.read_csv(SAMPLE / "demo_incidents.csv", dtype=str, keep_default_na=False)
    out = pd.read_csv(folder / "classified_incidents.csv", dtype=str, keep_default_na=False)
    assert out["incident_id"].tolist() == source["incident_id"].tolist()
    linked_true = source["true_labels"] != ""
    linked_pred = out["information_linked"] == "true"
    agreement = (linked_true == linked_pred).mean()
    assert agreement > 0.9


def test_demo_analyses(demo):
    folder, _ = demo
    analyses = json.loads((folder / "its_results.json").read_text())["analyses"]
    assert len(analyses) == 4
    for analysis in analyses:
        assert analysis["model"] == "quasipoisson"
        assert analysis["n_phase_in"] == 3
        assert {"intercept", "time", "level_change", "slope_change"} <= set(analysis["terms"])
        assert [e["at"] for e in analysis["effects"]] == [12, 24]
    # Each site's own analysis comes first, then the one controlled by its other incidents.
    assert ["control_groups" in a["diagnostics"] for a in analyses] == [False, True, False, True]
    # Information-linked incidents fall after go-live at both sites.
    assert all(a["rate_ratios"]["level_change"]["estimate"] < 1 for a in analyses[::2])
    html = (folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
