"""How routes take part in the audit trail: each says what it does, and refusals are recorded.

`audited(action)` goes in a route's `dependencies=[...]`: FastAPI resolves those before the
route's own parameters, so the action is known even when authentication then fails (401).
"""

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.audit import service
from app.audit.models import Action
from app.core.problems import Problem
from app.core.security import Principal

REFUSED = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Target:
    action: Action
    requested_id: str | None


class Audited:
    """A route dependency naming the route's action; the record id is the route's path
    parameter, if it has one."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, request: Request) -> None:
        requested_id = next(iter(request.path_params.values()), None)
        request.state.audit_target = Target(self.action, requested_id)


def audited(action: Action) -> Any:
    """For a route's `dependencies=[...]`."""
    return Depends(Audited(action))


async def record_refusal(request: Request, problem: Problem) -> None:
    """The `before_problem` hook: a row for each 401, 403 and 404 of an audited route, committed
    on its own (the request's transaction has rolled back by now)."""
    target: Target | None = getattr(request.state, "audit_target", None)
    if target is None or problem.status not in REFUSED:
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    factory: sessionmaker[Session] = request.app.state.session_factory
    await run_in_threadpool(_write_refusal, factory, principal, target, problem.status)


def _write_refusal(
    factory: sessionmaker[Session], principal: Principal | None, target: Target, status: int
) -> None:
    with factory() as session:
        service.record_refusal(
            session, principal, target.action, target.requested_id, status=status
        )
        session.commit()
