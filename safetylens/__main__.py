"""Allow ``python -m safetylens``."""

from safetylens.cli import app

if __name__ == "__main__":
    app(prog_name="safetylens")
