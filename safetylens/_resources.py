"""Where the shipped model and sample data are, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(folder: str) -> Path:
    # Installed, the top-level folder is packaged inside safetylens/ (see pyproject.toml); in a
    # source checkout (tests, editable installs) it stands beside the package.
    installed = _PACKAGE / folder
    return installed if installed.is_dir() else _PACKAGE.parent / folder


def models_dir() -> Path:
    """The folder holding the shipped models (``models/``)."""
    return _shipped("models")


def sample_data_dir() -> Path:
    """The folder holding the shipped sample data (``sample_data/``)."""
    return _shipped("sample_data")
