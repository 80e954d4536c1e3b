"""Helpers for the console's tests: enrolled users and signed-in clients, in process."""

import re
from dataclasses import dataclass

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.security import Role
from app.users import credentials
from app.users.service import create_user

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Reviewer:
    user_id: str
    login: str
    secret: str

    def code(self) -> str:
        return pyotp.TOTP(self.secret).now()


def enrolled(session: Session, *, name: str, role: Role, login: str) -> Reviewer:
    """A user who went through a real enrolment (the service's, not the page's)."""
    user, _token = create_user(session, name=name, role=role, login=login)
    path = credentials.invite(session, user)
    opened = credentials.open_enrolment(session, path.rsplit("/", 1)[1])
    assert opened is not None
    enrolment, _ = opened
    secret = credentials.enrolment_secret(enrolment)
    problem = credentials.enrol(
        session,
        enrolment,
        user,
        password=PASSWORD,
        repeat=PASSWORD,
        code=pyotp.TOTP(secret).now(),
    )
    assert problem is None
    session.commit()
    return Reviewer(user.id, login, secret)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(
    client: TestClient, reviewer: Reviewer, *, password: str = PASSWORD, code: str | None = None
):  # type: ignore[no-untyped-def]
    """Post the sign-in form as a browser would (the form's CSRF token, then the fields)."""
    csrf = csrf_of(client.get("/console/sign-in").text)
    return client.post(
        "/console/sign-in",
        data={
            "csrf": csrf,
            "login": reviewer.login,
            "password": password,
            "code": reviewer.code() if code is None else code,
        },
        follow_redirects=False,
    )


def signed_in(client: TestClient, reviewer: Reviewer) -> TestClient:
    client.base_url = "https://testserver"  # type: ignore[assignment]
    response = sign_in(client, reviewer)
    assert response.status_code == 303, response.text
    return client
