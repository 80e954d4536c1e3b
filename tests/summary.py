"""`python -m tests.summary LABEL=REPORT.xml ...`: after the test command's runs, each run's
counts and the slowest tests of all of them (setup, call and teardown together), read from the
JUnit XML reports that pytest wrote (`--junitxml`)."""

import sys
from pathlib import Path

from defusedxml.ElementTree import parse

SLOWEST = 15


def main(runs: list[str]) -> None:
    timed = []
    print("=== Counts ===")
    for label, report in (run.split("=", 1) for run in runs):
        if not Path(report).exists():
            print(f"{label:<10}  did not run")
            continue
        [suite] = parse(report).iter("testsuite")
        tests, failed, errors, skipped = (
            int(suite.get(name, 0)) for name in ("tests", "failures", "errors", "skipped")
        )
        passed = tests - failed - errors - skipped
        print(
            f"{label:<10}  {passed} passed, {failed} failed, {errors} errors, {skipped} skipped"
            f" in {float(suite.get('time', 0)):.0f}s"
        )
        timed += [
            (float(case.get("time", 0)), label, f"{case.get('classname')}::{case.get('name')}")
            for case in suite.iter("testcase")
        ]
    print(f"=== The {SLOWEST} slowest tests ===")
    for seconds, label, test in sorted(timed, reverse=True)[:SLOWEST]:
        print(f"{seconds:7.2f}s  {label:<10}  {test}")


if __name__ == "__main__":
    main(sys.argv[1:])
