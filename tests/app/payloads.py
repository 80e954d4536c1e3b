"""Request bodies used across the API tests: real names as families and sources write them."""

from typing import Any


def report(**child: Any) -> dict[str, Any]:
    return {
        "child": {
            "given_name": "Микола",
            "family_name": "Олійник",
            "other_names": ["Коля"],
            "sex": "male",
            "date_of_birth": "2011-03-12",
            "home_settlement": "Мелітополь",
            **child,
        },
        "last_seen": {"date": "2022-10-07", "place": "Херсон"},
        "circumstances": "Taken from a school trip to a camp in Crimea.",
        "reporter": {
            "name": "Ганна Олійник",
            "relationship": "mother",
            "phone": "+380501234567",
            "email": "hanna@example.org",
        },
    }


def sighting(**subject: Any) -> dict[str, Any]:
    return {
        "subject": {
            "full_name": "ОЛЕЙНИК Николай Андреевич",
            "date_of_birth": "2011-03-12",
            "sex": "male",
            "origin_settlement": "Мелитополь",
            **subject,
        },
        "observed_on": "2024-05-01",
        "location": "Евпатория",
        "source_type": "document",
        "notes": "Listed among children placed with a foster family.",
        "source": {"contact": "Signal +000", "details": "volunteer in Crimea"},
    }
