"""Where the shipped model and sample data are, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _shipped(package: str, folder: str) -> Path:
    # Installed: the top-level folder is packaged as safetylens.<package>. In a source checkout
    # (tests, editable installs) it is the folder beside the package.
    try:
        installed = Path(str(resources.files(f"safetylens.{package}")))
        if installed.is_dir():
            return installed
    except (ModuleNotFoundError, TypeError):
        pass
    return _REPO / folder


def models_dir() -> Path:
    """The folder holding the shipped models (``models/``)."""
    return _shipped("models", "models")


def sample_data_dir() -> Path:
    """The folder holding the shipped sample data (``sample_data/``)."""
    return _shipped("sample_data", "sample_data")
