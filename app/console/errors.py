"""Errors under /console/ answer with pages, not problem documents."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.console.auth import FormExpired, NotForRole
from app.console.pages import SESSION_COOKIE, render
from app.core.problems import Problem

PREFIX = "/console"


def problem_page(request: Request, status: int, problem: Problem | None) -> Response | None:
    """The console's page for an error (None outside the console: a problem document)."""
    path = request.url.path
    if not (path == PREFIX or path.startswith(PREFIX + "/")):
        return None
    if status == 401:
        # A session that has ended (the cookie is still there) says so on the sign-in page.
        ended = SESSION_COOKIE in request.cookies
        response = RedirectResponse(
            "/console/sign-in" + ("?m=session_ended" if ended else ""), status_code=303
        )
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
    if isinstance(problem, NotForRole):
        title, text = "not_for_role_title", "not_for_role"
    elif isinstance(problem, FormExpired):
        title, text = "form_expired_title", "form_expired"
    elif status == 404:
        title, text = "not_found_title", "not_found"
    elif status < 500:
        # 400, 413, 415, 422: what the browser sent; nothing was read or changed.
        title, text = "invalid_title", "invalid_input"
    else:
        title, text = "error_title", "error"
    return render(request, "message.html", {"title": title, "text": text}, status=status)
