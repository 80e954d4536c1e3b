"""Signing in to the console, enrolling, signing out; who the signed-in reviewer is."""

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.audit import service as audit
from app.audit.models import Action, Outcome
from app.console.pages import SESSION_COOKIE, csrf_matches, render, set_cookie
from app.core.database import SessionDep
from app.core.problems import Forbidden, Unauthorized
from app.core.security import Principal, Role
from app.core.text import NulFree
from app.users import credentials
from app.users.models import Enrolment, User

router = APIRouter(prefix="/console", include_in_schema=False)

# No NUL in any text a page takes (PostgreSQL cannot hold one): a 422 page, never a 500.
FormText = Annotated[NulFree, Form(max_length=1000)]
ShortText = Annotated[NulFree, Form(max_length=20)]
Code = Annotated[NulFree, Path(max_length=100)]


class SignInNeeded(Unauthorized):
    """No live session: the page answers with the sign-in form's address."""


class NotForRole(Forbidden):
    """Families and field contacts: a page saying so, with no data."""


class FormExpired(Forbidden):
    """The form's CSRF token is not this browser's."""


def check_csrf(request: Request, csrf: Annotated[NulFree, Form(max_length=100)] = "") -> None:
    if not csrf_matches(request, csrf):
        raise FormExpired()


CsrfChecked = Depends(check_csrf)


def console_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in coordinator or admin; 401 (to the sign-in page) without a live session,
    403 for any other role."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    user = credentials.session_user(session, session_id) if 0 < len(session_id) <= 100 else None
    if user is None:
        # An ended session's row is gone for good, although this request fails (401).
        session.commit()
        raise SignInNeeded()
    principal = Principal(user_id=user.id, role=Role(user.role))
    request.state.principal = principal
    request.state.reviewer_name = user.name
    if not principal.sees_everything:
        raise NotForRole()
    return principal


Reviewer = Annotated[Principal, Depends(console_principal)]


@router.get("")
@router.get("/")
def home() -> Response:
    return RedirectResponse("/console/matches", status_code=303)


@router.get("/sign-in")
def sign_in_form(
    request: Request, m: Annotated[NulFree | None, Query(max_length=20)] = None
) -> Response:
    notice = m if m in ("signed_out", "session_ended", "enrolled") else None
    return render(request, "sign_in.html", {"notice": notice, "error": None})


@router.post("/sign-in", dependencies=[CsrfChecked])
def sign_in(
    request: Request,
    session: SessionDep,
    login: FormText = "",
    password: FormText = "",
    code: ShortText = "",
) -> Response:
    result = credentials.sign_in(session, login=login, password=password, code=code)
    user = result.user
    if user is None:
        known = credentials.known_login(session, login)
        audit.record(session, None, Action.user_sign_in, [known], outcome=Outcome.unauthenticated)
        error = "locked" if result.outcome == credentials.SignInOutcome.locked else "sign_in_failed"
        return render(request, "sign_in.html", {"notice": None, "error": error}, status=401)
    principal = Principal(user_id=user.id, role=Role(user.role))
    if not principal.sees_everything:
        audit.record(session, principal, Action.user_sign_in, [user.id], outcome=Outcome.forbidden)
        return render(
            request,
            "message.html",
            {"title": "not_for_role_title", "text": "not_for_role"},
            status=403,
        )
    audit.record(session, principal, Action.user_sign_in, [user.id])
    response = RedirectResponse("/console/matches", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, credentials.start_session(session, user))
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(request: Request, session: SessionDep, principal: Reviewer) -> Response:
    credentials.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    audit.record(session, principal, Action.user_sign_out, [principal.user_id])
    response = RedirectResponse("/console/sign-in?m=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


def _invalid_invitation(request: Request) -> Response:
    return render(
        request,
        "message.html",
        {"title": "enrol_invalid_title", "text": "enrol_invalid"},
        status=404,
    )


def _enrol_page(
    request: Request, enrolment: Enrolment, user: User, error: str | None, *, status: int = 200
) -> Response:
    qr = segno.make(credentials.provisioning_uri(enrolment, user), error="m")
    return render(
        request,
        "enrol.html",
        {
            "secret": credentials.enrolment_secret(enrolment),
            "qr_svg": qr.svg_inline(scale=5, dark="#000", light="#fff", omitsize=False),
            "login": user.login,
            "error": error,
        },
        status=status,
    )


@router.get("/enrol/{code}")
def enrol_form(request: Request, session: SessionDep, code: Code) -> Response:
    opened = credentials.open_enrolment(session, code)
    if opened is None:
        return _invalid_invitation(request)
    return _enrol_page(request, *opened, None)


@router.post("/enrol/{code}", dependencies=[CsrfChecked])
def enrol(
    request: Request,
    session: SessionDep,
    code: Code,
    password: FormText = "",
    repeat: FormText = "",
    otp: ShortText = "",
) -> Response:
    opened = credentials.open_enrolment(session, code)
    if opened is None:
        return _invalid_invitation(request)
    enrolment, user = opened
    problem = credentials.enrol(
        session, enrolment, user, password=password, repeat=repeat, code=otp
    )
    if problem is not None:
        return _enrol_page(request, enrolment, user, problem.value, status=400)
    audit.record(
        session, Principal(user_id=user.id, role=Role(user.role)), Action.user_enrol, [user.id]
    )
    return RedirectResponse("/console/sign-in?m=enrolled", status_code=303)
