"""Rendering console pages: templates, the language, cookies and the CSRF token."""

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import matching
from app.console.labels import LABELS, LANGUAGES, detail_words, verdict_words, weight_words

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
# In the script's and style's addresses: a new version is a new address, so that browsers may
# keep them (ConsoleStatic) instead of fetching both again with every page.
STATIC_VERSION = hashlib.sha256(
    b"".join(f.read_bytes() for f in sorted(STATIC_DIR.iterdir()))
).hexdigest()[:12]


class ConsoleStatic(StaticFiles):
    """The console's script and style: the same for everyone, kept by the browser for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "max-age=31536000, immutable"
        return response


# Autoescaped, and loud about a missing label rather than silently blank.
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
)
templates.env.globals["verdict_words"] = verdict_words
templates.env.globals["detail_words"] = detail_words
templates.env.globals["weight_words"] = weight_words


def read_from_full_name(field: str, person: Any) -> bool:
    """Whether the engine reads this name part, left empty, from the person's full name: the
    given and family names always, a patronymic when the full name holds one (the engine's
    own reading, so that the page says what was compared)."""
    if field not in ("given_name", "family_name", "patronymic") or getattr(person, field):
        return False
    if not person.full_name:
        return False
    if field != "patronymic":
        return True
    return matching.prepare(matching.Person(full_name=person.full_name)).patronymic_text is not None


templates.env.globals["read_from_full_name"] = read_from_full_name
templates.env.globals["static_version"] = STATIC_VERSION

SESSION_COOKIE = "ridni_session"
CSRF_COOKIE = "ridni_csrf"
LANG_COOKIE = "ridni_lang"
DEFAULT_LANGUAGE = "uk"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def language(request: Request) -> str:
    """`?lang=` first, then the cookie it set, then Accept-Language; Ukrainian by default."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    if kept in LANGUAGES:
        return kept
    return _accepted(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


def _accepted(header: str) -> str | None:
    """The language of ours the browser prefers most (RFC 9110 weights), if any."""
    best: tuple[float, str] | None = None
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if primary in LANGUAGES and weight > 0 and (best is None or weight > best[0]):
            best = (weight, primary)
    return best[1] if best else None


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure except on plain HTTP to a loopback address (a developer's machine),
    where a browser would otherwise never send them back."""
    return not (request.url.scheme == "http" and request.url.hostname in _LOOPBACK)


def set_cookie(request: Request, response: Response, name: str, value: str, **options: Any) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/console",
        **options,
    )


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: its CSRF cookie, or a new one (set on render)."""
    token = getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    request.state.csrf_token = token
    return token


def csrf_matches(request: Request, sent: str) -> bool:
    """Double submit: the form's token equals the cookie's, which another site can neither
    read nor set (SameSite=Strict, HttpOnly)."""
    kept = request.cookies.get(CSRF_COOKIE, "")
    return bool(kept) and hmac.compare_digest(kept.encode(), sent.encode())


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    lang = language(request)
    token = csrf_token(request)
    response: Response = templates.TemplateResponse(
        request,
        template,
        {
            "t": LABELS[lang],
            "lang": lang,
            "csrf": token,
            "principal": getattr(request.state, "principal", None),
            "reviewer_name": getattr(request.state, "reviewer_name", None),
            **(context or {}),
        },
        status_code=status,
    )
    if request.cookies.get(CSRF_COOKIE) != token:
        set_cookie(request, response, CSRF_COOKIE, token)
    if request.query_params.get("lang") in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
        set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response
