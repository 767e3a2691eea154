"""The accurate model's runtime: windows over long reports, order, determinism, integrity.

These need only onnxruntime and tokenizers (no torch): they run the shipped ONNX graph.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from safetylens._encoder import EncoderClassifier, encode_windows
from safetylens._modelcard import load_model, load_model_and_card, resolve_model_dir
from safetylens.exceptions import ModelIntegrityError
from safetylens.taxonomy import LABELS


@pytest.fixture(scope="module")
def encoder():
    model = load_model("accurate")
    return getattr(model, "encoder", model)


@pytest.fixture(scope="module")
def tokenizer(encoder):
    return encoder._runtime()[1]


def test_windows_cover_a_long_report_with_overlap(tokenizer):
    text = " ".join(f"word{i}" for i in range(400))
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    windows, owner = encode_windows(tokenizer, [text, "short one"], max_length=64, overlap=16)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    long_windows = [w for w, o in zip(windows, owner, strict=True) if o == 0]
    body = 62
    step = body - 16
    assert len(long_windows) == int(np.ceil((len(ids) - body) / step)) + 1
    assert all(w[0] == cls and w[-1] == sep and len(w) <= 64 for w in long_windows)
    # Every token is in some window, in order, and consecutive windows share 16 tokens.
    assert long_windows[0][1:-1] == ids[:body]
    assert long_windows[-1][1:-1] == ids[(len(long_windows) - 1) * step :]
    assert long_windows[1][1:17] == long_windows[0][-17:-1]
    assert owner.tolist().count(1) == 1


def test_long_report_probability_is_the_highest_of_its_windows(encoder):
    filler = "The patient was reviewed on the ward round and observations were stable. " * 40
    text = filler + "The blood results were never looked at and the abnormal potassium was missed."
    logits, owner = encoder.window_logits([text])
    assert len(owner) > 1  # the report is longer than one window
    expected = (1 / (1 + np.exp(-logits.astype(np.float64)))).max(axis=0)
    np.testing.assert_allclose(encoder.predict_proba([text])[0], expected, rtol=1e-12)


def test_order_is_kept_and_scores_do_not_depend_on_neighbours(encoder):
    texts = [
        "EPR down so allergies could not be checked",
        "Pt fell in the bay, no injury",
        "Bloods labelled with another patient's details",
        "Handover did not mention the DNACPR decision " * 30,
    ]
    forward = encoder.predict_proba(texts)
    backward = encoder.predict_proba(texts[::-1])[::-1]
    alone = np.vstack([encoder.predict_proba([t]) for t in texts])
    assert np.array_equal(forward, backward)
    assert np.array_equal(forward, alone)


def test_text_without_words_is_not_scored(encoder):
    proba = encoder.predict_proba_readable(["\U0001f621\U0001f621", "---", "EPR down"])
    assert np.isnan(proba[0]).all() and np.isnan(proba[1]).all()
    assert not np.isnan(proba[2]).any()


def test_explanations_quote_a_sentence_of_the_report(encoder):
    text = "Patient admitted at night. The EPR was down so allergies could not be checked."
    decisions = np.zeros((1, len(LABELS)), dtype=np.int8)
    decisions[0, LABELS.index("it_system")] = 1
    evidence = encoder.explain([text], decisions)[0]
    assert evidence.startswith('it_system: "')
    assert evidence[len('it_system: "') : -1] in text


def copy_folder(tmp_path, name="accurate"):
    source = resolve_model_dir(name)
    target = tmp_path / "models" / name
    shutil.copytree(source, target)
    return target


def test_an_onnx_model_loads_from_anywhere_without_the_trust_list(tmp_path):
    folder = copy_folder(tmp_path, "accurate")
    card = json.loads((folder / "model_card.json").read_text())
    if "companion" in card:
        copy_folder(tmp_path, "fast")
    model, loaded_card = load_model_and_card(folder)
    assert loaded_card["backend"] == "onnx-encoder"
    assert model.predict(["EPR down"]).shape == (1, len(LABELS))


@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json"])
def test_a_changed_file_is_refused(tmp_path, name):
    folder = copy_folder(tmp_path)
    with open(folder / name, "ab") as fh:
        fh.write(b" ")
    with pytest.raises(ModelIntegrityError, match=f"{name} does not match its model card"):
        load_model(folder)


def test_a_missing_companion_is_refused_with_a_plain_reason(tmp_path):
    folder = copy_folder(tmp_path)
    card = json.loads((folder / "model_card.json").read_text())
    card["companion"] = {
        "folder": "fast",
        "model_sha256": "0" * 64,
        "weight": 0.5,
        "thresholds": card["thresholds"],
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(ModelIntegrityError, match="keep the two folders together"):
        load_model(folder)


def test_parameters_are_checked_at_fit(small_corpus):
    with pytest.raises(ValueError, match="The 'epochs' parameter of EncoderClassifier"):
        EncoderClassifier(epochs=0).fit(small_corpus["text"], small_corpus["labels"])
