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


# Values a family or a field contact would send, each one unlikely to occur by chance.
CANARY = {
    "given_name": "Кенарфелікс",
    "family_name": "Kanarfamilia",
    "patronymic": "Кенаровичпатр",
    "other_name": "Кенарчик",
    "date_of_birth": "2013-07-29",
    "home_settlement": "Кенарівкаселище",
    "last_seen_date": "2022-11-03",
    "last_seen_place": "Кенарськмісце",
    "circumstances": "Canary circumstances of the taking",
    "reporter_name": "Kanarreportername",
    "reporter_relationship": "Kanarrelationship",
    "reporter_phone": "+380931112299",
    "reporter_email": "canary.reporter@example.org",
    "observed_on": "2023-02-17",
    "location": "Кенаргородище",
    "notes": "Canary notes from the field",
    "source_contact": "Signal +380677770011",
    "source_details": "Canary source details",
    "bad_token": "rdn_CanaryForgedToken0123456789",
    "idempotency_key": "canary-idempotency-key",
    "cursor": "Y2FuYXJ5LWN1cnNvcg",
    "client_request_id": "canary-client-request-id",
    "error_message": "canary values of the row",
}


# The canaries of the fields encrypted at rest (app/crypto/), by column name.
SEALED = (
    "circumstances",
    "reporter_name",
    "reporter_relationship",
    "reporter_phone",
    "reporter_email",
    "notes",
    "source_contact",
    "source_details",
)


def canary_report() -> dict[str, Any]:
    return {
        "child": {
            "given_name": CANARY["given_name"],
            "family_name": CANARY["family_name"],
            "patronymic": CANARY["patronymic"],
            "other_names": [CANARY["other_name"]],
            "sex": "female",
            "date_of_birth": CANARY["date_of_birth"],
            "home_settlement": CANARY["home_settlement"],
        },
        "last_seen": {"date": CANARY["last_seen_date"], "place": CANARY["last_seen_place"]},
        "circumstances": CANARY["circumstances"],
        "reporter": {
            "name": CANARY["reporter_name"],
            "relationship": CANARY["reporter_relationship"],
            "phone": CANARY["reporter_phone"],
            "email": CANARY["reporter_email"],
        },
    }


def canary_sighting() -> dict[str, Any]:
    return {
        "subject": {
            "given_name": CANARY["given_name"],
            "family_name": CANARY["family_name"],
            "date_of_birth": CANARY["date_of_birth"],
            "origin_settlement": CANARY["home_settlement"],
        },
        "observed_on": CANARY["observed_on"],
        "location": CANARY["location"],
        "source_type": "witness",
        "notes": CANARY["notes"],
        "source": {"contact": CANARY["source_contact"], "details": CANARY["source_details"]},
    }
