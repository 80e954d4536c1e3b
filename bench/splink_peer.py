"""Splink 5 on a bench world: ``python -m bench.splink_peer --world W --out FILE``.

The peer of shared/bench/README.md, trained in the run: Splink 5 with DuckDB, NameComparison
on ASCII-folded given and family names, DateOfBirthComparison, sex and the home (report) or
origin (sighting) settlement, u by random sampling and m by expectation maximisation. Writes
one line per sighting like ``ridni link``: ``{"key", "candidates": [{"key", "score"}]}``, its
ten best reports, best first. Imports nothing of Ridni, so that its process time is Splink's.
"""

from __future__ import annotations

import argparse
import json
import logging
import unicodedata
from pathlib import Path
from typing import Any

import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# Ukrainian and Russian letters in Latin, one common romanisation: the fold the README's peer
# row describes (a fold, not the engine's transliteration variants).
_LATIN = "a b v h g d e ie e zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia"
_CYRILLIC = dict(zip("абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя", _LATIN.split(" "), strict=True))


def fold(text: str | None) -> str | None:
    """Lower case, Cyrillic romanised, accents and apostrophes dropped; None when empty."""
    if not text:
        return None
    out = []
    for char in text.lower():
        latin = _CYRILLIC.get(char, char)
        out.append("" if latin == "_" else latin)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    kept = "".join(c for c in decomposed if c.isalpha() or c == " ")
    return " ".join(kept.split()) or None


def _record(key: str, person: dict[str, Any], place_field: str, source: str) -> dict[str, Any]:
    given, family = person.get("given_name"), person.get("family_name")
    full = (person.get("full_name") or "").split()
    if not (given or family) and full:
        # Documents write "Family Given Patronymic"; two words are read as "Given Family".
        if len(full) >= 3:
            family, given = full[0], full[1]
        elif len(full) == 2:
            given, family = full
        else:
            given = full[0]
    dob = person.get("date_of_birth")
    return {
        "unique_id": key,
        "source_dataset": source,
        "given": fold(given),
        "family": fold(family),
        "dob": dob if dob and len(dob) == 10 else None,  # whole dates only
        "sex": person.get("sex"),
        "place": fold(person.get(place_field)),
    }


def _lines(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def link(world: Path, out: Path, limit: int = 10) -> None:
    reports = [
        _record(r["key"], r["child"], "home_settlement", "reports")
        for r in _lines(world / "reports.jsonl")
    ]
    sightings = [
        _record(s["key"], s["subject"], "origin_settlement", "sightings")
        for s in _lines(world / "sightings.jsonl")
    ]
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given").configure(term_frequency_adjustments=True),
            cl.NameComparison("family").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("place", [0.9]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given"),
            block_on("family"),
            block_on("dob"),
            block_on("substr(given, 1, 2)", "substr(dob, 1, 4)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(
        [
            db.register(rows, table_name=name)
            for name, rows in (("reports", reports), ("sightings", sightings))
        ],
        settings,
        log_level=logging.ERROR,
    )
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("given", "family", "dob")], recall=0.6
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    training.estimate_parameters_using_expectation_maximisation(block_on("given", "family"))
    pairs = linker.inference.predict(threshold_match_probability=0.001).as_record_list()

    best: dict[str, list[tuple[float, str]]] = {}
    for pair in pairs:
        ids = {pair[f"source_dataset_{side}"]: pair[f"unique_id_{side}"] for side in "lr"}
        best.setdefault(ids["sightings"], []).append((pair["match_probability"], ids["reports"]))
    with out.open("w", encoding="utf-8") as fh:
        for s in sightings:
            ranked = sorted(best.get(s["unique_id"], []), key=lambda t: (-t[0], t[1]))[:limit]
            candidates = [{"key": r, "score": round(p, 4)} for p, r in ranked]
            fh.write(json.dumps({"key": s["unique_id"], "candidates": candidates}) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.splink_peer", description=__doc__)
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    link(args.world, args.out)


if __name__ == "__main__":
    main()
