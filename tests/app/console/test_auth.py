"""The console's sign-in: enrolment, passwords and one-time codes, lockout, sessions, CSRF."""

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.models import utcnow
from app.core.security import Role
from app.users import credentials
from app.users.models import ConsoleSession, Enrolment, User
from app.users.service import create_user
from tests.app.console.helpers import PASSWORD, Reviewer, csrf_of, enrolled, sign_in, signed_in
from tests.conftest import Callers

NOT_FOR_ROLE = "The console is for coordinators and admins only."


@pytest.fixture
def https(client: TestClient) -> TestClient:
    client.base_url = "https://testserver"  # type: ignore[assignment]
    client.cookies.set("ridni_lang", "en", domain="testserver.local")
    return client


def enrolment_path(session: Session, login: str, role: Role = Role.coordinator) -> str:
    user, _ = create_user(session, name="Тарас Шевчук", role=role, login=login)
    path = credentials.invite(session, user)
    session.commit()
    return path


def secret_on(html: str) -> str:
    found = re.search(r'<output id="secret" class="secret">([A-Z2-7]+)</output>', html)
    assert found, "no secret key on the page"
    return found.group(1)


class TestEnrolment:
    def test_a_user_without_a_login_cannot_be_invited(self, session: Session):
        user, _ = create_user(session, name="Без логіна", role=Role.coordinator)
        with pytest.raises(credentials.NoLogin):
            credentials.invite(session, user)

    def test_the_page_enrols_once_with_a_password_and_a_first_code(
        self, https: TestClient, session: Session
    ):
        path = enrolment_path(session, "taras")
        page = https.get(path + "?lang=en")
        assert page.status_code == 200
        assert "<svg" in page.text and "Secret key" in page.text
        secret = secret_on(page.text)
        answer = https.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "password": PASSWORD,
                "repeat": PASSWORD,
                "otp": pyotp.TOTP(secret).now(),
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in?m=enrolled"
        stored = session.execute(
            text(
                "SELECT c.password_hash, c.totp_secret FROM user_credentials c "
                "JOIN users u ON u.id = c.user_id WHERE u.login = 'taras'"
            )
        ).one()
        assert stored.password_hash.startswith("$argon2id$")
        assert stored.totp_secret.startswith("v1:") and secret not in stored.totp_secret
        # Spent: the same path now says the invitation is not valid.
        again = https.get(path)
        assert again.status_code == 404 and "not valid" in again.text

    def test_the_code_is_stored_only_as_a_hash(self, session: Session):
        path = enrolment_path(session, "hashed")
        code = path.rsplit("/", 1)[1]
        row = session.scalars(select(Enrolment)).one()
        assert row.code_hash != code and len(row.code_hash) == 64
        raw = session.execute(text("SELECT code_hash, totp_secret FROM enrolments")).one()
        assert code not in "".join(raw)

    def test_an_expired_invitation_is_refused(self, https: TestClient, session: Session):
        path = enrolment_path(session, "late")
        session.execute(update(Enrolment).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        assert https.get(path).status_code == 404

    def test_a_new_invitation_replaces_the_unused_one(self, https: TestClient, session: Session):
        first = enrolment_path(session, "twice")
        user = session.scalars(select(User).where(User.login == "twice")).one()
        second = credentials.invite(session, user)
        session.commit()
        assert https.get(first).status_code == 404
        assert https.get(second).status_code == 200

    @pytest.mark.parametrize(
        ("repeat", "code", "says"),
        [
            ("another password entirely", None, "The passwords differ."),
            (PASSWORD, "000000", "The one-time code is wrong."),
        ],
    )
    def test_mismatched_passwords_or_a_wrong_code_enrol_nothing(
        self, https: TestClient, session: Session, repeat: str, code: str | None, says: str
    ):
        path = enrolment_path(session, "careful")
        page = https.get(path + "?lang=en")
        secret = secret_on(page.text)
        wrong_code = code or pyotp.TOTP(secret).now()
        if code is not None and wrong_code == pyotp.TOTP(secret).now():
            wrong_code = "111111"
        answer = https.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "password": PASSWORD,
                "repeat": repeat,
                "otp": wrong_code,
            },
        )
        assert answer.status_code == 400 and says in answer.text
        assert session.execute(text("SELECT count(*) FROM user_credentials")).scalar() == 0
        assert https.get(path).status_code == 200  # still usable

    def test_a_short_password_is_refused(self, https: TestClient, session: Session):
        path = enrolment_path(session, "short")
        page = https.get(path + "?lang=en")
        answer = https.post(
            path,
            data={
                "csrf": csrf_of(page.text),
                "password": "short",
                "repeat": "short",
                "otp": pyotp.TOTP(secret_on(page.text)).now(),
            },
        )
        assert answer.status_code == 400 and "12 to 1000 characters" in answer.text


class TestSignIn:
    def test_login_password_and_code_open_a_session_with_safe_cookie_flags(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        answer = sign_in(https, olena)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/matches"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("ridni_session=")
        )
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite=strict", "path=/console"} <= flags
        session_id = cookie.split(";")[0].split("=", 1)[1]
        stored = session.scalars(select(ConsoleSession)).one()
        assert stored.id_hash != session_id and stored.user_id == olena.user_id
        assert https.get("/console/matches").status_code == 200

    def test_on_plain_http_to_loopback_the_cookie_is_not_secure(
        self, client: TestClient, olena: Reviewer
    ):
        client.base_url = "http://127.0.0.1:8000"  # type: ignore[assignment]
        answer = sign_in(client, olena)
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("ridni_session=")
        )
        assert "secure" not in cookie.lower() and "samesite=strict" in cookie.lower()

    def test_the_login_is_compared_without_regard_to_case(self, https: TestClient, olena: Reviewer):
        loud = Reviewer(olena.user_id, "OLENA", olena.secret)
        assert sign_in(https, loud).status_code == 303

    def test_a_wrong_password_and_a_wrong_code_get_the_same_answer(
        self, https: TestClient, olena: Reviewer
    ):
        wrong_password = sign_in(https, olena, password="not the password at all")
        wrong_code = sign_in(https, olena, code="000000" if olena.code() != "000000" else "111111")
        unknown = sign_in(https, Reviewer(olena.user_id, "nobody", olena.secret))
        assert wrong_password.status_code == wrong_code.status_code == unknown.status_code == 401
        said = {
            re.search(r'role="alert">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
            for r in (wrong_password, wrong_code, unknown)
        }
        assert said == {"Sign-in failed: the login, password or one-time code is wrong."}
        assert "ridni_session" not in wrong_code.headers.get("set-cookie", "")

    def test_five_failures_lock_the_login_for_fifteen_minutes(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        for _ in range(4):
            assert sign_in(https, olena, password="wrong wrong wrong").status_code == 401
        fifth = sign_in(https, olena, password="wrong wrong wrong")
        assert "locked for 15 minutes" in fifth.text
        # Locked: the right password and code are refused too, with the same words.
        right = sign_in(https, olena)
        assert right.status_code == 401 and "locked for 15 minutes" in right.text
        locked_until = session.scalars(
            select(User.locked_until).where(User.id == olena.user_id)
        ).one()
        assert locked_until is not None
        assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
        session.execute(
            update(User)
            .where(User.id == olena.user_id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        session.commit()
        assert sign_in(https, olena).status_code == 303

    def test_a_code_once_used_to_sign_in_is_spent(self, https: TestClient, olena: Reviewer):
        code = olena.code()
        assert sign_in(https, olena, code=code).status_code == 303
        assert sign_in(https, olena, code=code).status_code == 401

    @pytest.mark.parametrize("role", [Role.family, Role.field])
    def test_families_and_field_contacts_get_a_clear_page_and_no_session(
        self, https: TestClient, session: Session, role: Role
    ):
        someone = enrolled(session, name="Ганна", role=role, login=f"someone-{role.value}")
        answer = sign_in(https, someone)
        assert answer.status_code == 403 and NOT_FOR_ROLE in answer.text
        assert "ridni_session" not in answer.headers.get("set-cookie", "")
        assert session.scalars(select(ConsoleSession)).all() == []

    def test_a_form_without_its_csrf_token_changes_nothing(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        https.get("/console/sign-in")
        answer = https.post(
            "/console/sign-in",
            data={"csrf": "forged", "login": "olena", "password": PASSWORD, "code": olena.code()},
        )
        assert answer.status_code == 403 and "The form has expired" in answer.text
        assert session.scalars(select(ConsoleSession)).all() == []

    def test_sign_ins_are_audited_with_ids_only(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        sign_in(https, olena, password="wrong wrong wrong")
        sign_in(https, olena)
        # The audit trail is append-only: other tests' sign-ins stay in it (conftest).
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "user.sign_in", AuditEvent.object_id == olena.user_id)
            .order_by(AuditEvent.created_at)
        ).all()
        assert [(r.object_id, r.outcome) for r in rows] == [
            (olena.user_id, "unauthenticated"),
            (olena.user_id, "allowed"),
        ]


class TestSessions:
    def test_anonymous_pages_lead_to_the_sign_in_form(self, https: TestClient):
        answer = https.get("/console/matches", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"

    def test_thirty_idle_minutes_end_the_session(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        signed_in(https, olena)
        session.execute(
            update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        session.commit()
        answer = https.get("/console/matches", follow_redirects=False)
        assert answer.headers["location"] == "/console/sign-in?m=session_ended"
        assert session.scalars(select(ConsoleSession)).all() == []

    def test_a_page_view_starts_the_idle_time_again(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        signed_in(https, olena)
        session.execute(
            update(ConsoleSession).values(last_seen_at=utcnow() - timedelta(minutes=29))
        )
        session.commit()
        assert https.get("/console/matches").status_code == 200
        stored = session.scalars(select(ConsoleSession)).one()
        session.refresh(stored)
        assert utcnow() - stored.last_seen_at < timedelta(minutes=1)

    def test_twelve_hours_end_the_session_however_active(
        self, https: TestClient, olena: Reviewer, session: Session
    ):
        signed_in(https, olena)
        session.execute(update(ConsoleSession).values(created_at=utcnow() - timedelta(hours=12)))
        session.commit()
        answer = https.get("/console/matches", follow_redirects=False)
        assert answer.status_code == 303

    def test_sign_out_ends_the_session(self, https: TestClient, olena: Reviewer):
        signed_in(https, olena)
        kept = https.cookies.get("ridni_session")
        page = https.get("/console/matches")
        answer = https.post(
            "/console/sign-out", data={"csrf": csrf_of(page.text)}, follow_redirects=False
        )
        assert answer.headers["location"] == "/console/sign-in?m=signed_out"
        https.cookies.set("ridni_session", kept or "", domain="testserver.local", path="/console")
        assert https.get("/console/matches", follow_redirects=False).status_code == 303

    @pytest.mark.parametrize("revocation", ["disable", "revoke_token"])
    def test_disabling_or_revoking_the_user_ends_the_session(
        self, https: TestClient, olena: Reviewer, callers: Callers, revocation: str
    ):
        signed_in(https, olena)
        url = f"/api/v1/users/{olena.user_id}"
        if revocation == "disable":
            done = https.patch(url, json={"disabled": True}, headers=callers.admin.headers)
        else:
            done = https.delete(url + "/tokens", headers=callers.admin.headers)
        assert done.status_code in (200, 204)
        assert https.get("/console/matches", follow_redirects=False).status_code == 303


class TestLogins:
    def test_an_admin_sets_a_login_kept_in_lower_case(self, client: TestClient, callers: Callers):
        url = f"/api/v1/users/{callers.coordinator.user_id}"
        answer = client.patch(url, json={"login": "Olena.K"}, headers=callers.admin.headers)
        assert answer.status_code == 200 and answer.json()["login"] == "olena.k"
        assert client.get(url, headers=callers.admin.headers).json()["login"] == "olena.k"

    def test_a_login_taken_by_another_user_is_a_conflict(
        self, client: TestClient, callers: Callers
    ):
        headers = callers.admin.headers
        client.patch(
            f"/api/v1/users/{callers.field.user_id}", json={"login": "taken"}, headers=headers
        )
        answer = client.patch(
            f"/api/v1/users/{callers.coordinator.user_id}", json={"login": "TAKEN"}, headers=headers
        )
        assert answer.status_code == 409

    @pytest.mark.parametrize("login", ["a", "with space", "олена", "-dash", None, 5])
    def test_a_login_that_is_not_one_is_refused(
        self, client: TestClient, callers: Callers, login: object
    ):
        answer = client.patch(
            f"/api/v1/users/{callers.coordinator.user_id}",
            json={"login": login},
            headers=callers.admin.headers,
        )
        assert answer.status_code == 422

    def test_a_new_user_can_be_given_a_login(self, client: TestClient, callers: Callers):
        answer = client.post(
            "/api/v1/users",
            json={"name": "Ірина", "role": "coordinator", "login": "iryna"},
            headers=callers.admin.headers,
        )
        assert answer.status_code == 201 and answer.json()["login"] == "iryna"
