"""The console tests' signed-in coordinator."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.security import Role
from tests.app.console.helpers import Reviewer, enrolled, signed_in


@pytest.fixture
def olena(session: Session) -> Reviewer:
    return enrolled(session, name="Олена Коваль", role=Role.coordinator, login="olena")


@pytest.fixture
def console(client: TestClient, olena: Reviewer) -> TestClient:
    """Olena, signed in, with English pages."""
    signed_in(client, olena)
    client.get("/console/matches?lang=en")
    return client
