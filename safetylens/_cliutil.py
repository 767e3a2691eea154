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
from typer.core import TyperGroup

from safetylens.exceptions import SafetylensError

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1

# Typer has used click's exceptions and, lately, a vendored copy of click: find the usage-error
# classes through the one public name both share.
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_EXCEPTION = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class OneLineErrorGroup(TyperGroup):
    """A command group whose usage errors are one line on stderr, not a box.

    ``safetylens classify --nope`` prints ``safetylens: error: No such option: --nope (see
    'safetylens classify --help')`` and exits 2; ``--help`` is unchanged.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _USAGE_ERROR as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "safetylens"
            error_line(f"{exc.format_message()} (see '{where} --help')")
            sys.exit(exc.exit_code)
        except _CLICK_EXCEPTION as exc:
            error_line(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            error_line("aborted")
            sys.exit(EXIT_UNEXPECTED)
        sys.exit(code if isinstance(code, int) else 0)


def make_app(**settings) -> typer.Typer:
    """A Typer app with the house settings: plain help text (no type tags, paragraphs
    rewrapped), no locals in tracebacks, ``-h`` for help, one-line usage errors."""
    defaults = dict(
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_show_locals=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
        cls=OneLineErrorGroup,
    )
    defaults.update(settings)
    return typer.Typer(**defaults)


# Options shared by several commands, defined once.
TEXT_COL = typer.Option(
    None,
    "--text-col",
    metavar="COLUMN",
    help="Column holding the report text (default: found among common export names).",
)
MODEL = typer.Option(
    None,
    "--model",
    metavar="accurate|fast|DIR",
    help="Model to use: 'accurate' (the default, a fine-tuned language model), 'fast' (TF-IDF, "
    "about ten times quicker) or a model folder written by 'safetylens train'.",
    show_default=False,
)
TRUST_MODEL = typer.Option(
    False,
    "--trust-model",
    help="Load a joblib model that is neither shipped nor trained on this machine. A joblib "
    "file can run code when loaded: use only for models from a source you trust.",
)
VERBOSE = typer.Option(
    False, "--verbose", "-v", help="Say more about what is happening (never report text)."
)
JSON_OUT = typer.Option(False, "--json", help="Print the result as JSON.")
SHEET = typer.Option(
    None,
    "--sheet",
    metavar="NAME|INDEX",
    help="Excel sheet to read, by name or 0-based index (default: the first visible sheet).",
)


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


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM or SIGHUP, so partial output is cleaned up as on
    Ctrl-C (a BaseException, so no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _termination_raises() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP (``timeout``, systemd, batch schedulers, a
    dropped SSH session) raise :class:`Terminated` instead of killing the process outright."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise Terminated(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _raise)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signum, handler)


@contextlib.contextmanager
def guard(verbose: bool = False) -> Iterator[None]:
    """Run a command body, mapping errors to one stderr line and an exit code.

    ``SafetylensError`` (a user's bad input) exits 2 with its own message. ``KeyboardInterrupt``
    exits 130, SIGTERM and SIGHUP 128 + the signal number, after the same clean-up. Anything
    else exits 1 with the exception type only: its message could quote a report, so it is never
    printed, even with ``verbose`` (which adds the location in our code).
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
        with _termination_raises():
            yield
    except typer.Exit:
        raise
    except Terminated as exc:
        import signal

        name = signal.Signals(exc.signum).name
        message = f"stopped by {name}; no partial output was left behind"
        raise fail(message, 128 + exc.signum) from None
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
