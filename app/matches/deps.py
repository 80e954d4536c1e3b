"""The matching settings, built once by `create_app`, as a dependency of the routes that file,
import or decide (each may score records again)."""

from typing import Annotated

from fastapi import Depends, Request

from app.matches.engine import MatchingSettings


def matching_settings(request: Request) -> MatchingSettings:
    settings: MatchingSettings = request.app.state.matching
    return settings


MatchingDep = Annotated[MatchingSettings, Depends(matching_settings)]
