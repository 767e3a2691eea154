"""The choices of ``safetylens review``, defined once for the CLI and the library."""

from __future__ import annotations

from enum import Enum


class Strategy(str, Enum):
    """How ``review sample`` draws reports."""

    random = "random"
    uncertain = "uncertain"
    mixed = "mixed"


class Allocation(str, Enum):
    """How a stratified sample is split over strata."""

    proportional = "proportional"
    equal = "equal"
