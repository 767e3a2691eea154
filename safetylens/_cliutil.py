"""Shared pieces of the command line: error handling, exit codes, messages on stderr.

Kept free of heavy imports so ``safetylens --help`` stays instant. Every command body runs inside
:func:`guard`, which turns a :class:`~safetylens.exceptions.SafetylensError` into one line on
stderr and exit code 2, and anything unexpected into one line and exit code 1, never a
traceback and never the text of a report.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer

from safetylens.exceptions import SafetylensError

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1


def error_line(message: str) -> None:
    """Print ``safetylens: error: <message>`` as a single line on stderr."""
    one_line = " ".join(str(message).split())
    typer.echo(f"safetylens: error: {one_line}", err=True)


def info(message: str) -> None:
    """Print a progress or summary line on stderr (stdout may carry data)."""
    typer.echo(message, err=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one error line and return the ``typer.Exit`` to raise.

    Use as ``raise fail("...")``.
    """
    error_line(message)
    return typer.Exit(code)


@contextlib.contextmanager
def guard(verbose: bool = False) -> Iterator[None]:
    """Run a command body, mapping errors to one stderr line and an exit code.

    ``SafetylensError`` (a user's bad input) exits 2 with its own message. ``KeyboardInterrupt``
    exits 130. Anything else exits 1 with the exception type only: its message could quote a
    report, so it is never printed, even with ``verbose`` (which adds the location in our code).
    """
    import warnings

    from safetylens.exceptions import SafetylensWarning

    def _show_warning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SafetylensWarning):
            info(f"safetylens: warning: {' '.join(str(message).split())}")
        # Third-party warnings can quote data (pandas, statsmodels); they are not printed.

    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        yield
    except typer.Exit:
        raise
    except SafetylensError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except BrokenPipeError:
        # The reader went away (`safetylens classify x.csv | head`): stop quietly.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except KeyboardInterrupt:
        raise fail("interrupted; no partial output was left behind", 130) from None
    except MemoryError:
        raise fail("out of memory; try a smaller --chunk-size", EXIT_UNEXPECTED) from None
    except OSError as exc:
        # File-system errors name a path and a reason, never report text.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        raise fail(f"{exc.strerror or type(exc).__name__}{where}", EXIT_UNEXPECTED) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence at the CLI edge
        detail = ""
        if verbose:
            tb = exc.__traceback__
            frames = []
            while tb is not None:
                frames.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
                tb = tb.tb_next
            detail = f" at {frames[-1]}" if frames else ""
        raise fail(
            f"unexpected {type(exc).__name__}{detail}; please report this (no data is included)",
            EXIT_UNEXPECTED,
        ) from None
    finally:
        warnings.showwarning = previous
