"""The console's duplicate reports in process: the queue, a pair, decisions and cases; siblings,
children seen together and the group's evidence on the record and match pages; the engine's
words in Ukrainian."""

import ast
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import matching
from app.console.labels import detail_words, verdict_words
from tests.app.console.helpers import Reviewer, csrf_of
from tests.app.console.test_pages import actions, file_pair, proposed
from tests.app.groups.test_groups import (
    NAZAR,
    NAZAR_SEEN,
    OLENA,
    OLENA_SEEN,
    file_report,
    file_sighting,
)
from tests.app.matches.test_duplicates import duplicates, file_two_families
from tests.app.matches.test_duplicates import file_report as file_child
from tests.conftest import Callers

NOBODY = "00000000-0000-4000-8000-000000000000"


def decide(console: TestClient, pair_id: str, decision: str, version: int, note: str = ""):  # type: ignore[no-untyped-def]
    page = console.get(f"/console/duplicates/{pair_id}")
    return console.post(
        f"/console/duplicates/{pair_id}/decision",
        data={"csrf": csrf_of(page.text), "decision": decision, "version": version, "note": note},
        follow_redirects=False,
    )


def case_of(console: TestClient, callers: Callers, report_id: str) -> str | None:
    answer = console.get(f"/api/v1/reports/{report_id}", headers=callers.coordinator.headers)
    case_id: str | None = answer.json()["case_id"]
    return case_id


class TestQueue:
    def test_rows_show_both_reports_as_written_and_the_score(
        self, console: TestClient, callers: Callers
    ):
        file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        page = console.get("/console/duplicates")
        assert page.status_code == 200
        assert f'href="/console/duplicates/{pair["id"]}"' in page.text
        for written in ("Микола Олійник", "Mykola Andriiovych Oliinyk", "Melitopol", "Мелітополь"):
            assert written in page.text
        assert f"{round(pair['score'] * 100)}%" in page.text
        assert "Earlier report" in page.text and "Later report" in page.text

    def test_the_status_filter_and_the_navigation_link(self, console: TestClient, callers: Callers):
        file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        link = f'href="/console/duplicates/{pair["id"]}"'
        assert link not in console.get("/console/duplicates?status=confirmed").text
        assert link in console.get("/console/duplicates?status=").text
        assert (
            'href="/console/duplicates">Duplicate reports</a>'
            in console.get("/console/matches").text
        )
        assert console.get("/console/duplicates?status=maybe").status_code == 422

    def test_a_page_view_is_audited_per_pair_and_report_shown(
        self, console: TestClient, callers: Callers, session: Session, olena: Reviewer
    ):
        first, second = file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        console.get("/console/duplicates")
        seen = actions(session, olena.user_id)
        assert ("duplicate.list", pair["id"]) in seen
        assert ("report.list", first) in seen and ("report.list", second) in seen


class TestPairPage:
    def test_both_reports_side_by_side_with_the_verdicts_in_ukrainian(
        self, client: TestClient, console: TestClient, callers: Callers
    ):
        file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        page = console.get(f"/console/duplicates/{pair['id']}?lang=uk")
        assert page.status_code == 200
        assert '<html lang="uk">' in page.text
        for item in pair["explanation"]:
            assert verdict_words(item["verdict"], "uk") in page.text
            assert detail_words(item["field"], item["detail"], "uk") in page.text
        assert "нар. 2011-03-12" in page.text  # "born" in the page's words
        assert "Andriiovych" in page.text and "Ганна Олійник" in page.text
        assert 'value="confirm"' in page.text and 'value="reject"' in page.text

    def test_someone_elses_or_no_pair_is_the_same_404_page(self, console: TestClient):
        answer = console.get(f"/console/duplicates/{NOBODY}")
        assert answer.status_code == 404 and "There is no such record" in answer.text


class TestDecisions:
    def test_confirming_joins_one_case_shown_on_both_reports_then_the_queue_is_done(
        self, console: TestClient, callers: Callers, session: Session, olena: Reviewer
    ):
        first, second = file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        answer = decide(console, pair["id"], "confirm", pair["version"], note="Обидві матері")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/duplicates?done=1"
        assert "No proposed duplicate is left." in console.get(answer.headers["location"]).text
        assert case_of(console, callers, first) == case_of(console, callers, second) is not None
        report_page = console.get(f"/console/reports/{first}")
        assert f'href="/console/reports/{second}"' in report_page.text
        decided = console.get(f"/console/duplicates/{pair['id']}")
        assert 'value="reopen"' in decided.text and "Обидві матері" in decided.text
        assert "Олена Коваль" in decided.text  # who decided, by name
        assert ("duplicate.decide", pair["id"]) in actions(session, olena.user_id)

    def test_after_a_decision_the_next_proposed_pair_opens(
        self, console: TestClient, callers: Callers
    ):
        file_two_families(console, callers)
        file_child(console, callers.family2, given_name="Коля", other_names=[])
        first, second, *_ = duplicates(console, callers.coordinator, "proposed")
        answer = decide(console, first["id"], "reject", first["version"])
        assert answer.headers["location"] == f"/console/duplicates/{second['id']}"
        page = console.get(f"/console/duplicates/{second['id']}")
        assert f'href="/console/duplicates/{first["id"]}"' not in page.text  # decided: left

    def test_reopening_splits_the_case_again(self, console: TestClient, callers: Callers):
        first, _ = file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        decide(console, pair["id"], "confirm", pair["version"])
        answer = decide(console, pair["id"], "reopen", pair["version"] + 1)
        assert answer.status_code == 303
        assert case_of(console, callers, first) is None
        [again] = duplicates(console, callers.coordinator, "proposed")
        assert again["id"] == pair["id"]

    def test_a_stale_decision_says_who_decided_what_and_changes_nothing(
        self, console: TestClient, callers: Callers
    ):
        first, _ = file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        console.post(
            f"/api/v1/duplicates/{pair['id']}/decision",
            json={"decision": "reject", "version": pair["version"]},
            headers=callers.coordinator.headers,
        ).raise_for_status()
        answer = decide(console, pair["id"], "confirm", pair["version"])
        assert answer.status_code == 409
        assert "Someone decided first: test coordinator" in answer.text
        [after] = duplicates(console, callers.coordinator)
        assert after["status"] == "rejected" and after["version"] == 2
        assert case_of(console, callers, first) is None

    def test_a_decision_the_status_does_not_allow_is_refused_in_the_pages_words(
        self, console: TestClient, callers: Callers
    ):
        file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        answer = decide(console, pair["id"], "reopen", pair["version"])
        assert answer.status_code == 409
        assert "Not saved: a pair that is proposed cannot take this decision." in answer.text

    def test_a_decision_without_the_forms_token_changes_nothing(
        self, console: TestClient, callers: Callers
    ):
        file_two_families(console, callers)
        [pair] = duplicates(console, callers.coordinator)
        answer = console.post(
            f"/console/duplicates/{pair['id']}/decision",
            data={"csrf": "forged", "decision": "confirm", "version": pair["version"]},
        )
        assert answer.status_code == 403
        assert duplicates(console, callers.coordinator)[0]["version"] == pair["version"]


def file_group(console: TestClient, callers: Callers) -> dict[str, str]:
    """Two siblings' reports, and two sightings of them seen together."""
    olena = file_report(console, callers.family, OLENA).json()["id"]
    nazar = file_report(console, callers.family, NAZAR, siblings=[olena]).json()["id"]
    olena_seen = file_sighting(console, callers.field, OLENA_SEEN).json()["id"]
    nazar_seen = file_sighting(console, callers.field, NAZAR_SEEN, seen_with=[olena_seen])
    return {
        "olena": olena,
        "nazar": nazar,
        "olena_seen": olena_seen,
        "nazar_seen": nazar_seen.json()["id"],
    }


class TestGroups:
    def test_record_pages_show_siblings_and_children_seen_together(
        self, console: TestClient, callers: Callers
    ):
        ids = file_group(console, callers)
        report = console.get(f"/console/reports/{ids['nazar']}").text
        assert "Siblings (reports)" in report
        assert f'href="/console/reports/{ids["olena"]}"' in report
        sighting = console.get(f"/console/sightings/{ids['nazar_seen']}").text
        assert f'href="/console/sightings/{ids["olena_seen"]}"' in sighting
        assert "Мартынюк Елена Григорьевна" in sighting

    def test_the_match_page_shows_the_group_and_its_evidence_in_words(
        self, console: TestClient, callers: Callers
    ):
        ids = file_group(console, callers)
        matches = console.get(
            "/api/v1/matches", params={"status": "proposed"}, headers=callers.coordinator.headers
        ).json()["items"]
        [nazar] = [m for m in matches if m["sighting_id"] == ids["nazar_seen"]]
        [evidence] = [e for e in nazar["explanation"] if e["field"] == "group"]
        page = console.get(f"/console/matches/{nazar['id']}?lang=uk").text
        assert "Група: брати, сестри й діти, яких бачили разом" in page
        assert f'href="/console/reports/{ids["olena"]}"' in page
        assert f'href="/console/sightings/{ids["olena_seen"]}"' in page
        assert "бачили з братом чи сестрою" in page
        words = detail_words("group", evidence["detail"], "uk")
        assert words.startswith("бачили разом із Мартынюк Елена Григорьевна") and words in page

    def test_a_match_without_a_group_shows_no_group_section(
        self, console: TestClient, callers: Callers
    ):
        file_pair(console, callers)
        [match] = proposed(console, callers)
        assert "Group: siblings" not in console.get(f"/console/matches/{match['id']}").text


# The words of the engine's explanations, and the values in them, one sample of each.
ENGLISH = {
    "born", "vs", "aged", "seen", "both", "initial", "father", "father's", "name", "with",
    "whose", "match", "scores", "same", "new", "siblings", "adopted", "together", "who",
    "matches", "report", "children", "different", "family", "patronymic", "differ",
    "consistent", "identity", "adoption", "documents", "may", "give", "given", "too", "male",
    "female", "unknown", "inferred", "names", "russian", "spelling", "gender", "form",
    "estimates", "diminutive", "western", "misspelt", "uk", "ru", "typo", "former", "changed",
    "twin", "explains", "another", "stem", "begins", "years", "apart",
}  # fmt: skip


def _english_words(text: str) -> set[str]:
    return {w.strip(".,:;()").lower() for w in text.split()} & ENGLISH


# Children of other names, beside which three of one name are more than the names' shares say.
_OTHER_NAMES = [
    (given, family)
    for given in ("Іван", "Петро", "Тарас", "Андрій", "Богдан")
    for family in ("Коваль", "Бондар", "Ткачук", "Мельник")
]


def test_every_detail_the_engine_writes_on_a_range_of_pairs_is_in_ukrainian_words():
    report = matching.Person(
        given_name="Микола",
        family_name="Олійник",
        patronymic="Андрійович",
        sex="male",
        date_of_birth="2011-03-12",
        settlement="Мелітополь",
        institution="Херсонський обласний дитячий будинок",
    )
    seen = [
        dict(full_name="ОЛЕЙНИК Николай Андреевич", date_of_birth="2011-12-03", sex="male"),
        dict(given_name="Коля", family_name="Олейник", date_of_birth="2011"),
        dict(given_name="М.", family_name="Oliinyk", age_min=9, age_max=11),
        dict(given_name="Mykola", family_name="Вовк", patronymic="Викторович", sex="female"),
        dict(given_name="Назар", family_name="Вовк", patronymic="Петрович", sex="male"),
        dict(full_name="Олейникова Николь", date_of_birth="2012-03-12", settlement="Подольск"),
        dict(given_name="Микола", patronymic="Андреевич", institution="дом ребенка Херсон"),
        dict(given_name="Николай", family_name="Вовк", other_names=("Олейник",)),
        dict(full_name="В. Николай", date_of_birth="2011-03-12"),
        dict(full_name="Вовк Николай Петрович", date_of_birth="2011-08-25", sex="male"),
        dict(given_name="Артём", family_name="Смирнов", date_of_birth="2011-03-12"),
        dict(given_name="Николай", date_of_birth="2019-05-01"),
        dict(given_name="Коля", age_min=2, age_max=4),
    ]
    details = set()
    for subject in seen:
        compared = matching.compare(report, matching.Person(observed_on="2024-05-01", **subject))
        details |= {(item.field, item.detail) for item in compared.explanation}
    # A name held by namesakes: the report and two more of its given and family name.
    namesakes = matching.Linker()
    for key in ("r1", "r2", "r3"):
        namesakes.add(key, report)
    for i, (given, family) in enumerate(_OTHER_NAMES):
        namesakes.add(f"other{i}", matching.Person(given_name=given, family_name=family))
    for candidate in namesakes.candidates(
        matching.Person(given_name="Коля", family_name="Олійник")
    ):
        details |= {(item.field, item.detail) for item in candidate.explanation}
    # Family names of one stem, and an initial that begins only the Russian spelling.
    for family, other in (("Коваль", "Ковальчук"), ("Олексієнко", "А.")):
        compared = matching.compare(
            matching.Person(family_name=family), matching.Person(family_name=other)
        )
        details |= {(item.field, item.detail) for item in compared.explanation}
    # The group's evidence (matching/_groups.py), as written for two sightings seen together.
    details |= {
        ("group", "seen with Мартынюк Елена, whose match to a sibling's report scores 0.97"),
        (
            "family_name",
            "the same new family name and patronymic as Вовк Олена: siblings adopted together",
        ),
        (
            "group",
            "seen with Вовк Олена, who matches this report at 0.81: "
            "children seen together are different children",
        ),
        ("group", "seen with Назар, whose match to a sibling's report scores 0.003"),
        (
            "group",
            "seen with Кира, whose match to a sibling's report scores 0.003"
            " with the new family name and patronymic they share",
        ),
        (
            "group",
            "seen with Кира, whose match to a sibling's report scores 0.02"
            " with the new family name they share",
        ),
        (
            "group",
            "seen with Коваль Иван, who matches another family's report at 0.98 "
            "and none of this report's siblings",
        ),
        ("sex", "male vs female (inferred from the names)"),
    }
    assert len(details) > 20  # the engine really explained
    weak = detail_words(
        "group", "seen with Назар, whose match to a sibling's report scores 0.003", "uk"
    )
    assert weak.endswith("на <1%")  # weak evidence, not a match of 0%
    untranslated = {
        detail for field, detail in details if _english_words(detail_words(field, detail, "uk"))
    }
    assert untranslated == set()
    # English pages show the engine's own words.
    assert all(detail_words(field, detail, "en") == detail for field, detail in details)


def test_every_verdict_the_engine_and_the_group_can_give_has_ukrainian_words():
    """The verdicts of the ladders and those the engine and the group's evidence write as
    FieldComparison(field, verdict, ...) anywhere in the library."""
    from matching import _fields
    from matching._ladder import Ladder

    verdicts = {
        level.verdict
        for ladder in vars(_fields).values()
        if isinstance(ladder, Ladder)
        for level in ladder.levels
    }
    for source in Path(matching.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "FieldComparison"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                verdicts.add(node.args[1].value)
    assert {"seen with a sibling", "new identity", "exact"} <= verdicts  # really read
    assert {v for v in verdicts if verdict_words(v, "uk") == v} == set()


def test_without_a_session_the_pages_lead_to_sign_in_and_nothing_is_decided(
    client: TestClient, callers: Callers
):
    file_two_families(client, callers)
    [pair] = duplicates(client, callers.coordinator)
    client.base_url = "https://testserver"  # type: ignore[assignment]
    for path in ("/console/duplicates", f"/console/duplicates/{pair['id']}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    posted = client.post(
        f"/console/duplicates/{pair['id']}/decision",
        data={"csrf": "x", "decision": "confirm", "version": pair["version"]},
        follow_redirects=False,
    )
    assert posted.status_code in (303, 403)
    assert duplicates(client, callers.coordinator)[0]["version"] == pair["version"]
