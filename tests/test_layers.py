"""The layers of pyproject.toml's import-linter contracts hold: a wrong arrow fails the build."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(contract: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the linter of our own environment, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--contract", contract],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.nodb
@pytest.mark.parametrize(
    "contract",
    ["layers", "matching"],
)
def test_contract_is_kept(contract: str):
    linted = lint_imports(contract)
    assert linted.returncode == 0, linted.stdout + linted.stderr
