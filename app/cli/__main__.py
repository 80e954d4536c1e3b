"""`python -m app.cli`: the `ridni` command."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
