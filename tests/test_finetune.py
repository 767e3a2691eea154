"""Fine-tuning and export (the ``train`` extra): a tiny encoder trained for a few steps.

Marked ``train``; skipped when torch and transformers are not installed. ``.ci/run`` installs the
extra and runs them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.train
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory, small_corpus):
    """A two-layer BERT with random weights and a WordPiece vocabulary of our reports."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny_base")
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=600, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tokenizer.train_from_iterator(small_corpus["text"].tolist(), trainer)
    tokenizer.post_processor = processors.BertProcessing(
        ("[SEP]", tokenizer.token_to_id("[SEP]")), ("[CLS]", tokenizer.token_to_id("[CLS]"))
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def tiny_model(tiny_base, small_corpus):
    from safetylens._encoder import EncoderClassifier

    model = EncoderClassifier(
        base_model=str(tiny_base),
        epochs=1,
        batch_size=16,
        max_length=48,
        overlap=8,
        validation_fraction=0.25,
        quantize=False,
        random_state=3,
    )
    steps = []
    model.fit(
        small_corpus["text"],
        small_corpus["labels"],
        progress=lambda s, t, e, loss: steps.append((s, t)),
    )
    model.steps_seen = steps
    return model


def test_fit_reports_progress_and_sets_the_fitted_state(tiny_model, small_corpus):
    n_train = len(small_corpus) - len(tiny_model.validation_indices_)
    total = int(np.ceil(n_train / 16))
    assert tiny_model.steps_seen[-1] == (total, total)
    assert len(tiny_model.steps_seen) == total
    assert tiny_model.thresholds_.shape == (7,)
    assert tiny_model.onnx_model_[:2] != b""


def test_onnx_graph_matches_torch_with_padding(tiny_base, tiny_model):
    """The exported graph gives the module's logits, for texts padded in one batch."""
    import onnxruntime

    from safetylens._encoder import _padded, encode_windows

    _, tokenizer = tiny_model._runtime()
    texts = ["EPR down", "notes were not sent with the patient to the ward overnight"]
    windows, _ = encode_windows(tokenizer, texts, max_length=48, overlap=8)
    ids, mask = _padded(windows, np.arange(len(windows)), tokenizer.token_to_id("[PAD]"))
    session = onnxruntime.InferenceSession(tiny_model.onnx_model_)
    batched = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
    for row, window in enumerate(windows):
        single = session.run(
            ["logits"],
            {"input_ids": np.array([window]), "attention_mask": np.ones((1, len(window)), int)},
        )[0]
        np.testing.assert_allclose(batched[row], single[0], atol=1e-5)


def test_training_is_reproducible(tiny_base, small_corpus, tiny_model):
    from safetylens._encoder import EncoderClassifier

    again = EncoderClassifier(**tiny_model.get_params()).fit(
        small_corpus["text"], small_corpus["labels"]
    )
    texts = ["EPR down", "wrong wristband"]
    np.testing.assert_allclose(
        again.predict_proba(texts), tiny_model.predict_proba(texts), atol=1e-6
    )


def test_save_load_and_quantise(tmp_path, tiny_model):
    from safetylens._encoder import EncoderClassifier
    from safetylens._finetune import quantize_onnx
    from safetylens._modelcard import load_model_and_card, save_model

    save_model(tiny_model, tmp_path / "m")
    loaded, card = load_model_and_card(tmp_path / "m")
    assert isinstance(loaded, EncoderClassifier)
    assert card["backend"] == "onnx-encoder"
    assert set(card["files"]) == {"model.onnx", "tokenizer.json"}
    texts = ["EPR down all night", "pt fell"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), tiny_model.predict_proba(texts))
    int8 = quantize_onnx(tiny_model.onnx_model_)
    assert len(int8) < len(tiny_model.onnx_model_)


def test_train_command_with_the_transformer_backend(tmp_path, tiny_base, small_corpus):
    from typer.testing import CliRunner

    from safetylens.cli import app

    data = tmp_path / "train.csv"
    small_corpus.to_csv(data, index=False)
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(data),
            "-o",
            str(tmp_path / "m"),
            "--backend",
            "transformer",
            "--base-model",
            str(tiny_base),
            "--epochs",
            "1",
            "--text-col",
            "text",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["backend"] == "onnx-encoder" and card["training_data"]["n_reports"] == 400
