"""Property-based fuzzing of the whole HTTP API against the service's own OpenAPI schema.

Schemathesis reads /openapi.json from the app in-process (no server, no network), generates
requests for every operation, valid and schema-violating ones alike, sends them to the app under
test in-process and checks every answer: no 5xx, a documented status code, a documented content
type and a body that validates against the documented schema, schema-violating input refused,
and that an operation requiring a bearer token refuses a request without one or with a bad one.

Every case of every operation is sent twice, as a coordinator and as a family: the fixed seed
drew the same cases for both when each had a test of its own, and generating them is a good
part of the cost. For the same reason a run on PostgreSQL sends every case to a SQLite file as
well, and ./run-tests leaves this fuzzing out of its SQLite half: each case is drawn once and
meets both databases. Rate limits cannot fail a case: the suite's `app` (tests/conftest.py) has
limits no test reaches, and 429 is documented on every write anyway; the limits themselves are
proven in test_rate_limits.py. The user routes are an admin's, so here they answer 403:
`test_user_answers_conform` checks their admin answers against the schema. The module's records
(`existing`) and users are made once in each database; each test runs in a savepoint of each
module transaction, so it finds them as they were made and every write is rolled back.
Generation is derandomized with a fixed seed, so CI sees the same cases on every run.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckFunction
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.core.errors import InvalidHeadersExample
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.core.jsonschema import make_validator_for
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.hypothesis.builder import (
    SETTINGS_ATTRIBUTE_NAME,
    InvalidHeadersExampleMark,
    MissingPathParameters,
    UnserializablePayloadMark,
)
from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output
from schemathesis.generation.meta import TestPhase
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.pytest.warnings import (
    emit_constants_warnings,
    emit_openapi_auth_warnings,
    emit_unserializable_payload_warning,
)
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.python.asgi import ASGIClient
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy import Connection

from app.core.settings import Settings
from app.main import create_app
from tests.app import payloads
from tests.app.matching_queue import drain_queue
from tests.conftest import (
    SCHEMATHESIS_CASES,
    Callers,
    client_in,
    make_callers,
    open_test_database,
    savepoint,
    session_in,
    shared_by_module,
)

SEED = 20240501
# Each operation is exercised at least this often (as each caller), and `tally` fails a test whose
# generation silently produced fewer; GET /healthz takes no input, so it has exactly one possible
# request. The examples and coverage phases come first (boundary values, and one schema violation
# at a time for every parameter and property); the fuzzing phase draws what they leave to reach
# MIN_CASES, and never fewer than FUZZED_AT_LEAST, so that every operation also meets random
# combinations of its inputs.
MIN_CASES = 100
FUZZED_AT_LEAST = 30
NO_INPUT = {"GET /healthz"}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # positive and negative (schema-violating) data
            "max-examples": MIN_CASES,  # per operation: see `_fuzzing_budget`
            "deterministic": True,  # Hypothesis `derandomize`
            "database": "none",  # no replay of examples saved by earlier runs
            # The test sends the caller's real token; generated tokens would only be refused.
            "with-security-parameters": False,
        },
        # The stateful phase needs OpenAPI links between operations, which this schema lacks.
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}},
    }
)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    # Resends an accepted case without a token and with a bad one: once a case, for the first
    # caller it accepts (the resends carry no caller's token, so they are the same for both).
    ignored_auth,
]


def _load_schema() -> schemathesis.BaseSchema:
    # Only the schema is read from this app (over an in-memory database nothing touches);
    # the requests go to the apps of `targets`, which `in_savepoints` points at the test's
    # savepoints.
    schema_app = create_app(Settings(database_url="sqlite://", docs_enabled=True))
    schema = schemathesis.openapi.from_asgi("/openapi.json", schema_app, config=CONFIG)
    schema_app.state.engine.dispose()
    # What the plugin warns of while collecting (an error here: the suite's warnings are errors).
    emit_openapi_auth_warnings(schema)
    emit_constants_warnings(schema)
    assert schema.raw_schema["components"]["securitySchemes"], "ignored_auth needs the scheme"
    return schema


schema = _load_schema()


# Rules JSON Schema cannot express make some schema-valid requests a 422: at least one name,
# a letter in every name, real dates and none in the future, min <= max in an age range,
# cursors the API did not issue, uploads that are CSV text with a header an import knows (else
# 415 or 422), and photos that are images by their content (else 415 or 422).
# `positive_data_acceptance` is not applied to these operations.
STRICTER_THAN_SCHEMA = {
    "POST /api/v1/imports",
    "GET /api/v1/imports",
    "POST /api/v1/reports",
    "GET /api/v1/reports",
    "PATCH /api/v1/reports/{report_id}",
    "POST /api/v1/sightings",
    "GET /api/v1/sightings",
    "PATCH /api/v1/sightings/{sighting_id}",
    "GET /api/v1/matches",
    "POST /api/v1/matches/{match_id}/decision",
    "GET /api/v1/duplicates",
    "POST /api/v1/duplicates/{duplicate_id}/decision",
    "GET /api/v1/audit",
    "POST /api/v1/reports/{report_id}/photos",
    "POST /api/v1/sightings/{sighting_id}/photos",
}

# known issue: a 405 on a path served by two routes lists only one route's method in `Allow`
# (OPTIONS /api/v1/reports: `Allow: POST`, without GET; /api/v1/reports/{id}: `Allow: GET`,
# without PATCH; /api/v1/sightings and /api/v1/sightings/{id}, /api/v1/imports, the
# /api/v1/users paths and the photo paths likewise),
# which RFC 9110 §15.5.6 does not allow.
ALLOW_LISTS_ONE_ROUTE = {
    "/api/v1/reports",
    "/api/v1/reports/{report_id}",
    "/api/v1/sightings",
    "/api/v1/sightings/{sighting_id}",
    "/api/v1/users",
    "/api/v1/users/{user_id}",
    "/api/v1/users/{user_id}/tokens",
    "/api/v1/imports",
    "/api/v1/reports/{report_id}/photos",
    "/api/v1/sightings/{sighting_id}/photos",
    "/api/v1/photos/{photo_id}",
}


def _checks_for(case: Case, response: Response, probed: bool) -> list[CheckFunction]:
    label = case.operation.label
    checks = list(CHECKS)
    if probed:
        checks.remove(ignored_auth)
    if label in STRICTER_THAN_SCHEMA:
        checks.remove(positive_data_acceptance)
    if _only_the_form_body_is_negative(case) and _form_valid_as_sent(case, response):
        checks.remove(negative_data_rejection)
    if case.operation.path in ALLOW_LISTS_ONE_ROUTE:
        checks.remove(allow_header_conformance)
    return checks


def _only_the_form_body_is_negative(case: Case) -> bool:
    return (
        case.meta is not None
        and (case.media_type or "").partition(";")[0].strip().lower() == "multipart/form-data"
        and case.meta.is_negative_at(ParameterLocation.BODY)
        and not any(
            case.meta.is_negative_at(location)
            for location in ParameterLocation
            if location is not ParameterLocation.BODY
        )
    )


def _form_valid_as_sent(case: Case, response: Response) -> bool:
    """Whether a multipart body, read as the server reads it (each field's last part as text,
    a file part as a file), satisfies the schema. A form part is always text: a caption drawn
    as a list or an object arrives as its JSON, a valid caption. Schemathesis (4.32.5) makes
    this reading too, but gives up when a file part is present, so `negative_data_rejection`
    would call such an upload schema-violating input accepted."""
    content = response.request.body
    if not isinstance(content, bytes):
        return False
    content_type = response.request.headers.get("Content-Type", "")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + content
    )
    sent: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            return False
        # A file is a `format: binary` string: its content is not what the schema describes.
        sent[name] = "(file)" if part.get_filename() else payload.decode(errors="replace")
    body = case.operation.get_body_for_media_type(case.media_type or "")
    return body is not None and make_validator_for(body.optimized_schema).is_valid(sent)


ROLES = ("coordinator", "family")


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)
    fuzzed: Counter[str] = field(default_factory=Counter)  # of those, the fuzzing phase's
    failed: bool = False


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Counts this test's cases, and fails it if generation silently produced too few."""
    tally = Tally()
    yield tally
    for label, count in tally.cases.items():
        for role in ROLES:
            request.node.user_properties.append((f"{SCHEMATHESIS_CASES}{label} as {role}", count))
    if tally.failed:
        return  # the failure itself is the report; the count would only add noise
    assert tally.cases, "Schemathesis generated no case at all"
    for label, count in tally.cases.items():
        minimum = 1 if label in NO_INPUT else MIN_CASES
        assert count >= minimum, f"{label}: only {count} cases, expected at least {minimum}"
        if label not in NO_INPUT:
            fuzzed = tally.fuzzed[label]
            assert fuzzed >= FUZZED_AT_LEAST, (
                f"{label}: only {fuzzed} random cases, expected at least {FUZZED_AT_LEAST}"
            )


# Made once for the module: every test runs in a savepoint of the module's transaction.
connection, callers = shared_by_module()


@dataclass(frozen=True)
class Target:
    """An app over one database, with the module's users and records in it."""

    database: str
    app: FastAPI
    connection: Connection  # the module's transaction in that database
    callers: Callers
    existing: dict[str, str]
    session: ASGIClient = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # One session for all of the target's cases, where the transport would build one a case.
        # It reaches the app in-process: no proxies to look up in the environment, and no
        # cookies, so that every case is sent with the caller's token alone.
        session = ASGIClient(self.app)
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        object.__setattr__(self, "session", session)


@pytest.fixture(scope="module")
def targets(
    app: FastAPI,
    module_connection: Connection,
    callers: Callers,
    settings: Settings,
    is_postgres: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Target]]:
    """The suite's database, and on PostgreSQL a SQLite file beside it."""
    suite = Target(
        "PostgreSQL" if is_postgres else "SQLite",
        app,
        module_connection,
        callers,
        _file_existing(app, module_connection, callers),
    )
    if not is_postgres:
        yield [suite]
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzzed') / 'ridni-test.db'}"
    engine = open_test_database(url)
    sqlite_app = create_app(settings.model_copy(update={"database_url": url}))
    try:
        with engine.connect() as connection, connection.begin():
            with session_in(connection, sqlite_app.state.keyring) as session:
                sqlite_callers = make_callers(session)
            existing = _file_existing(sqlite_app, connection, sqlite_callers)
            yield [suite, Target("SQLite", sqlite_app, connection, sqlite_callers, existing)]
            connection.rollback()
    finally:
        sqlite_app.state.engine.dispose()
        engine.dispose()


@pytest.fixture
def in_savepoints(targets: list[Target]) -> Iterator[None]:
    """Every target's app pointed at a savepoint of its module transaction, for one test."""
    with ExitStack() as stack:
        for target in targets:
            stack.enter_context(savepoint(target.connection))
            stack.enter_context(client_in(target.app, target.connection))
        yield


def _file_existing(app: FastAPI, module_connection: Connection, callers: Callers) -> dict[str, str]:
    """A report of callers.family, a sighting that matches it, the match proposed for them, and
    an import of a file of reports.

    Random IDs only ever find nothing, so half the cases with schema-valid path parameters ask
    for these instead: that way the 200 answers of the by-ID operations are checked too.
    """
    with client_in(app, module_connection) as client:
        report = client.post(
            "/api/v1/reports", json=payloads.report(), headers=callers.family.headers
        )
        sighting = client.post(
            "/api/v1/sightings", json=payloads.sighting(), headers=callers.field.headers
        )
        drain_queue(client)
        matches = client.get("/api/v1/matches", headers=callers.coordinator.headers)
        assert report.status_code == sighting.status_code == 201
        assert matches.status_code == 200
        # Generated bodies rarely pass the routes' validation (see STRICTER_THAN_SCHEMA), so the
        # 201 answers are checked against the schema here as well.
        schema["/api/v1/reports"]["POST"].validate_response(report)
        schema["/api/v1/sightings"]["POST"].validate_response(sighting)
        schema["/api/v1/matches"]["GET"].validate_response(matches)
        [match] = matches.json()["items"]
        started = client.post(
            "/api/v1/imports",
            data={"kind": "reports"},
            files={"file": ("list.csv", "Прізвище;Ім'я\nОлійник;Микола\n".encode(), "text/csv")},
            headers=callers.coordinator.headers,
        )
        assert started.status_code == 202
        schema["/api/v1/imports"]["POST"].validate_response(started)
    return {
        "report_id": report.json()["id"],
        "sighting_id": sighting.json()["id"],
        "match_id": match["id"],
        "import_id": started.json()["id"],
    }


def _asks_for_existing(case: Case, tally: Tally) -> bool:
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    return (
        bool(case.path_parameters)
        and not negative_path
        and tally.cases[case.operation.label] % 2 == 0
    )


def _call_and_validate(
    case: Case, target: Target, token: dict[str, str], tally: Tally, probed: bool
) -> bool:
    """Send `case` with `token` and check the answer; True when it was accepted (2xx), which is
    when `ignored_auth` resends the case without a token and with a bad one. Those resends carry
    no caller's token, so once one caller's answer made them, another's would repeat the same
    two requests (`probed`)."""
    try:
        response = case.call(app=target.app, headers=token, session=target.session)
        case.validate_response(
            response,
            checks=_checks_for(case, response, probed),
            headers=token,
            transport_kwargs={"app": target.app, "headers": token},
        )
    except BaseException:
        tally.failed = True
        raise
    return 200 <= response.status_code < 300


# The savepoints of `in_savepoints` are deliberately shared by all of one test's cases: they run
# inside them, rolled back after the last, and no case relies on an empty database.
shared_fixtures = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


# One test per operation, as `@schema.parametrize()` makes, but each operation's Hypothesis test
# (its examples and coverage cases drawn with it) is built when the test runs: the plugin builds
# every operation's while collecting, about 7 s of CPU in each pytest-xdist worker, although a
# worker runs only some of them. The same builder, seed, settings and phases, so the same cases;
# failures are reported as the plugin reports them.
OPERATIONS = {result.ok().label: result.ok() for result in schema.get_all_operations()}


def _run_operation(operation: APIOperation, **fixtures: object) -> None:
    __tracebackhide__ = True
    load_all_checks()
    test = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=_send_as_coordinator_and_family,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
    )
    _fuzzing_budget(test)
    try:
        with ignore_hypothesis_output():
            test(**fixtures)
    except FailureGroup as failures:
        raise as_reported_failure(failures) from None
    # What the plugin checks after a run: cases it could not send or build (the warning is an
    # error here, as every warning of the suite).
    unserializable_payload = UnserializablePayloadMark.get(test)
    if unserializable_payload is not None:
        emit_unserializable_payload_warning(unserializable_payload)
    invalid_headers = InvalidHeadersExampleMark.get(test)
    if invalid_headers is not None:
        raise InvalidHeadersExample.from_headers(invalid_headers)
    missing_path_parameters = MissingPathParameters.get(test)
    if missing_path_parameters:
        raise missing_path_parameters


def _fuzzing_budget(test: Any) -> None:
    """Sets how many cases the fuzzing phase of an operation's built test draws: what its
    examples and coverage cases (Hypothesis explicit examples, made when the test is built)
    leave to reach MIN_CASES, and at least FUZZED_AT_LEAST."""
    explicit = len(getattr(test, "hypothesis_explicit_examples", ()))
    built: settings = getattr(test, SETTINGS_ATTRIBUTE_NAME)
    budget = max(MIN_CASES - explicit, FUZZED_AT_LEAST)
    setattr(test, SETTINGS_ATTRIBUTE_NAME, settings(built, max_examples=budget))


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.usefixtures("in_savepoints")
def test_api_as_coordinator_and_family(label: str, targets: list[Target], tally: Tally) -> None:
    _run_operation(OPERATIONS[label], targets=targets, tally=tally)


@shared_fixtures
def _send_as_coordinator_and_family(case: Case, targets: list[Target], tally: Tally) -> None:
    tally.cases[case.operation.label] += 1
    if case.meta is not None and case.meta.phase.name is TestPhase.FUZZING:
        tally.fuzzed[case.operation.label] += 1
    load_all_checks()
    drawn = dict(case.path_parameters or {})
    asks_for_existing = _asks_for_existing(case, tally)
    for target in targets:
        if asks_for_existing:
            case.path_parameters = drawn | {
                name: target.existing[name] for name in drawn if name in target.existing
            }
        probed = False
        for role in ROLES:
            headers = getattr(target.callers, role).headers
            try:
                accepted = _call_and_validate(case, target, headers, tally, probed)
            except BaseException as failure:
                failure.add_note(f"on {target.database}, as {role}")
                raise
            probed = probed or accepted


def test_user_answers_conform(client: TestClient, callers: Callers) -> None:
    """The admin-only user routes, which the fuzzing above sees refuse its callers (403), each
    answered once as an admin and checked against the schema."""
    admin = callers.admin.headers
    user_path = f"/api/v1/users/{callers.field.user_id}"
    answers = {
        ("/api/v1/users", "POST"): client.post(
            "/api/v1/users", json={"name": "Volunteer 18", "role": "field"}, headers=admin
        ),
        ("/api/v1/users", "GET"): client.get("/api/v1/users", headers=admin),
        ("/api/v1/users/{user_id}", "GET"): client.get(user_path, headers=admin),
        ("/api/v1/users/{user_id}", "PATCH"): client.patch(
            user_path, json={"disabled": True}, headers=admin
        ),
        ("/api/v1/users/{user_id}/tokens", "POST"): client.post(
            f"{user_path}/tokens", headers=admin
        ),
        ("/api/v1/users/{user_id}/tokens", "DELETE"): client.delete(
            f"{user_path}/tokens", headers=admin
        ),
    }
    for (path, method), response in answers.items():
        assert response.status_code < 300, (method, path, response.text)
        schema[path][method].validate_response(response)
