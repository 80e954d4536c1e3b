"""Build ``matching/data/index.json``: the engine's name and place indexes, built once.

Run after changing the name or place data, or the code they are read with (``matching/_data.py``,
``_names.py``, ``_text.py``); tests/matching/test_names.py says when it is due:

    python tools/build_index.py

The engine loads the file instead of building the indexes at every start, and builds them
itself while the file is out of date (see ``matching._names``).
"""

from __future__ import annotations

import json
from pathlib import Path

from matching._names import index_document

OUT = Path(__file__).resolve().parents[1] / "matching" / "data" / "index.json"


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def main() -> None:
    # JSON with one entry of each table a line, sorted: a rebuild after a small change of the
    # data is a small diff.
    lines = []
    for section, value in sorted(index_document().items()):
        if isinstance(value, dict):
            entries = [f"{_compact(k)}:{_compact(v)}" for k, v in sorted(value.items())]
        elif isinstance(value, list):
            entries = [_compact(v) for v in value]
        else:
            lines.append(f"{_compact(section)}:{_compact(value)}")
            continue
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        lines.append(f"{_compact(section)}:{opening}\n" + ",\n".join(entries) + f"\n{closing}")
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    assert json.loads(text) is not None  # noqa: S101 - the file must stay JSON
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text.encode()):,} bytes)")


if __name__ == "__main__":
    main()
