"""A synthetic population for speed benchmarks, built from the engine's own name and place data.

Given names follow a skewed distribution (weight 1/(rank + 10): the commonest name of each sex
is about 3% of children, as in Ukrainian birth registers of 2004-2022), so that common names
reach as many candidates as they would in the field. Surnames are stems and suffixes. What is
known of each child follows the shape of the labelled dev world: reports give a full date of
birth 90% of the time, a month 6%, nothing 4%; sightings are documents and lists with a date
(65%), witnesses with an age and, two times in three, a family name (26%), and documents with
only an age (9%). This is a load generator, not a test of matching quality.
"""

import random
from typing import Any

from matching._data import NameGroup, load_given_names, load_places

_STEMS = [
    "Коваль",
    "Шевч",
    "Бондар",
    "Ткач",
    "Кравч",
    "Олійн",
    "Мельн",
    "Савч",
    "Руд",
    "Лис",
    "Марч",
    "Петр",
    "Павл",
    "Бойк",
    "Гриц",
    "Кузьм",
    "Мороз",
    "Сидор",
    "Кравець",
    "Гончар",
    "Шв",
    "Левч",
    "Пономар",
    "Кирил",
    "Климч",
    "Литвин",
    "Онищ",
    "Дорош",
    "Гайдам",
    "Ярош",
    "Федор",
    "Мартин",
    "Білоус",
    "Гуцул",
    "Стельм",
    "Заїч",
    "Ковальч",
    "Андрі",
    "Власн",
    "Гаврил",
    "Данил",
    "Демч",
    "Єрем",
    "Жур",
    "Зінч",
    "Ігнат",
    "Кисел",
    "Костюк",
    "Лук",
    "Мацк",
    "Назар",
    "Остап",
    "Приход",
    "Рибак",
    "Семен",
    "Тимош",
    "Устим",
    "Хом",
    "Цап",
    "Чорн",
]
_SUFFIXES = ("енко", "ук", "юк", "чук", "ський", "ик", "ишин", "ів", "ець", "ак", "ич", "ко")
OBSERVED_ON = "2024-05-01"


class Population:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        groups = list(load_given_names())
        self.rng.shuffle(groups)
        self.groups = groups
        self.weights = [1 / (rank + 10) for rank in range(len(groups))]
        self.places = [p.canonical for p in load_places()]

    def _group(self) -> NameGroup:
        return self.rng.choices(self.groups, self.weights)[0]

    def _surname(self, group: NameGroup) -> str:
        family = self.rng.choice(_STEMS) + self.rng.choice(_SUFFIXES)
        return family[:-2] + "ка" if group.sex == "female" and family.endswith("ський") else family

    def _birth(self) -> tuple[int, str | None]:
        year = self.rng.randint(2004, 2022)
        month = self.rng.randint(1, 12)
        roll = self.rng.random()
        if roll < 0.9:
            return year, f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"
        return year, (f"{year}-{month:02d}" if roll < 0.96 else None)

    def report(self) -> dict[str, Any]:
        """A family's report: Ukrainian forms, often a nickname, usually a date of birth."""
        group = self._group()
        _, birth = self._birth()
        child: dict[str, Any] = {
            "given_name": group.ukrainian[0] if group.ukrainian else group.russian[0],
            "family_name": self._surname(group),
            "sex": group.sex,
            "home_settlement": self.rng.choice(self.places),
        }
        if birth:
            child["date_of_birth"] = birth
        if group.diminutives and self.rng.random() < 0.4:
            child["other_names"] = [group.diminutives[0]]
        return {"child": child}

    def sighting(self) -> dict[str, Any]:
        """A sighting: a Russian document, a witness with a nickname and an age, or a list."""
        group = self._group()
        year, birth = self._birth()
        russian = group.russian[0] if group.russian else group.ukrainian[0]
        shape = self.rng.choices(["dated", "witness", "aged"], [0.65, 0.26, 0.09])[0]
        kind = {"witness": "witness", "aged": "document"}.get(shape) or self.rng.choices(
            ["document", "list"], [0.8, 0.2]
        )[0]
        subject: dict[str, Any] = {"sex": group.sex}
        age = 2024 - year
        if shape == "witness":
            subject["given_name"] = self.rng.choice(group.diminutives or (russian,))
            if self.rng.random() < 2 / 3:
                subject["family_name"] = self._surname(group)
        else:
            subject["full_name"] = f"{self._surname(group)} {russian}"
        if shape == "dated" and birth:
            subject["date_of_birth"] = birth
        else:
            subject["age_estimate"] = {"min": max(age - 1, 0), "max": min(age + 1, 25)}
        return {"subject": subject, "source_type": kind, "observed_on": OBSERVED_ON}
