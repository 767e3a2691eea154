"""The classifier follows scikit-learn's estimator contract; model folders are checked on load."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from safetylens._model import IncidentClassifier, labels_to_indicator
from safetylens._modelcard import (
    CARD_FILE,
    MODEL_FILE,
    load_model,
    load_model_and_card,
    read_card,
    save_model,
)
from safetylens.exceptions import DataValidationError, ModelIntegrityError
from safetylens.taxonomy import LABELS


def test_init_only_stores_and_clone_round_trips():
    model = IncidentClassifier(C=2.0, threshold_cv=4)
    assert model.get_params()["C"] == 2.0
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "thresholds_")


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        IncidentClassifier().predict_proba(["x"])


def test_bad_parameter_wording():
    with pytest.raises(
        DataValidationError, match="The 'C' parameter of IncidentClassifier must be"
    ):
        IncidentClassifier(C=-1).fit(["a"] * 20, [[]] * 20)


def test_too_few_positives_refused():
    with pytest.raises(DataValidationError, match="needs at least"):
        IncidentClassifier().fit(["pt fell"] * 30, [["it_system"]] * 2 + [[]] * 28)


def test_fitted_attributes(small_model):
    assert small_model.classes_.tolist() == list(LABELS)
    assert small_model.thresholds_.shape == (7,)
    assert ((small_model.thresholds_ >= 0.1) & (small_model.thresholds_ <= 0.9)).all()
    assert set(small_model.cv_scores_) == set(LABELS)


def test_probabilities_and_decisions(small_model):
    texts = ["Wrong patient's blood sample label", "", "pt fell"]
    proba = small_model.predict_proba(texts)
    assert proba.shape == (3, 7)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.array_equal(
        small_model.predict(texts), (proba >= small_model.thresholds_).astype(int)
    )


def test_labels_to_indicator_forms_agree():
    a = labels_to_indicator(["it_system;records_unavailable", ""])
    b = labels_to_indicator([["records_unavailable", "it_system"], []])
    assert np.array_equal(a, b)
    assert a.tolist()[0] == [1, 0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="unknown label"):
        labels_to_indicator(["falls"])


def test_save_and_load_round_trip(small_model, tmp_path):
    card = save_model(small_model, tmp_path / "m", card={"note": "test"})
    assert (
        json.loads((tmp_path / "m" / CARD_FILE).read_text())["model_sha256"] == card["model_sha256"]
    )
    loaded, loaded_card = load_model_and_card(tmp_path / "m")  # trained here: trusted
    assert loaded_card["note"] == "test"
    texts = ["EPR down", "notes missing"]
    assert np.array_equal(loaded.predict_proba(texts), small_model.predict_proba(texts))


def test_tampered_model_is_refused(small_model, tmp_path):
    save_model(small_model, tmp_path / "m")
    with open(tmp_path / "m" / MODEL_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="does not match its model card"):
        load_model(tmp_path / "m")


def test_model_from_elsewhere_needs_trust(small_model, tmp_path, monkeypatch):
    save_model(small_model, tmp_path / "m")
    monkeypatch.setenv("SAFETYLENS_HOME", str(tmp_path / "another_machine"))
    with pytest.raises(ModelIntegrityError, match="--trust-model"):
        load_model(tmp_path / "m")
    assert load_model(tmp_path / "m", trust=True) is not None


def test_missing_folder_and_card(tmp_path):
    with pytest.raises(ModelIntegrityError, match="no such model folder"):
        read_card(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelIntegrityError, match="not a safetylens model folder"):
        read_card(tmp_path / "empty")


@pytest.mark.parametrize("name", ["accurate", "fast"])
def test_shipped_model_cards_are_complete(name):
    card = read_card(name)
    for key in (
        "backend",
        "labels",
        "thresholds",
        "training_data",
        "library_versions",
        "test_metrics",
        "files",
        "model_sha256",
    ):
        assert key in card
    assert card["labels"] == list(LABELS)
    for split in card["test_data"]:
        assert card["test_metrics"][split["name"]]["n_reports"] == split["n_reports"]
    if name == "accurate":
        assert card["base_model"]["name"] == "all-MiniLM-L6-v2"
        assert card["base_model"]["licence"] == "Apache-2.0"
        assert set(card["files"]) == {"model.onnx", "tokenizer.json"}


def test_explanations_name_words_from_the_text(small_model):
    texts = ["The wristband had the wrong patient name on it"]
    decisions = np.zeros((1, 7), dtype=np.int8)
    decisions[0, LABELS.index("patient_identification")] = 1
    evidence = small_model.explain(texts, decisions)[0]
    assert evidence.startswith("patient_identification: ")
    words = evidence.split(": ", 1)[1].split(", ")
    assert words and all(w.replace("not ", "") in texts[0].lower() for w in words)


def test_edited_card_is_refused(small_model, tmp_path):
    save_model(small_model, tmp_path / "m")
    card_path = tmp_path / "m" / CARD_FILE
    card = json.loads(card_path.read_text())
    card["thresholds"]["it_system"] = 0.99
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelIntegrityError, match="labels or thresholds"):
        load_model(tmp_path / "m")
    card["model_file"] = "../elsewhere.joblib"
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelIntegrityError, match="must name model.joblib"):
        load_model(tmp_path / "m")


def test_training_is_reproducible(small_corpus):
    texts, labels = small_corpus["text"][:200], small_corpus["labels"][:200]
    fits = [
        IncidentClassifier(threshold_cv=2, calibration_cv=2, char_ngrams=None, min_df=1)
        .fit(texts, labels)
        .predict_proba(["EPR down", "notes missing"])
        for _ in range(2)
    ]
    assert np.array_equal(fits[0], fits[1])


def test_a_single_string_is_refused(small_model):
    import safetylens

    with pytest.raises(DataValidationError, match="single string"):
        safetylens.classify_texts("EPR down", small_model)
