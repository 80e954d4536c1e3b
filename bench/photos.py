"""Photo benchmark: uploading a 12-megapixel phone JPEG, serving a photo, and the memory one
upload takes, through the whole application (ASGI, the body guard, the multipart parser,
decoding, re-encoding, encryption, the store's fsyncs, the database) against a SQLite file.

    python -m bench.photos [--uploads 15] [--gets 100] [--database-url URL]

Prints a table: wall-clock and CPU medians (CPU time is what a request costs this process; wall
time also counts the disk's fsyncs and, on a shared machine, the other processes), and the peak
memory of one upload, measured in a fresh process as its resident set's high water mark above
the size it had just before (Linux resets the mark through /proc/self/clear_refs). Pillow's
pixels live outside Python's heap, which tracemalloc alone would miss; its figure is printed
beside, for what Python itself holds.
"""

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from app.core.migrations import upgrade
from app.core.security import Role
from app.core.settings import Settings
from app.main import create_app
from app.users.service import create_user

TWELVE_MP = (4000, 3000)


def phone_jpeg() -> bytes:
    """A 4000 × 3000 JPEG with a phone photo's texture (gradients under sensor-like noise), at
    the quality phones write: a few megabytes, as from a camera."""
    noise = Image.effect_noise(TWELVE_MP, 24).convert("RGB")
    gradient = Image.linear_gradient("L").resize(TWELVE_MP).convert("RGB")
    picture = Image.blend(gradient, noise, 0.35)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=92, exif=Image.Exif().tobytes())
    return out.getvalue()


def _setup(directory: Path, database_url: str | None) -> tuple[TestClient, dict[str, str], str]:
    url = database_url or f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        key_file=directory / "bench.keys",
        photo_dir=directory / "photos",
        rate_limit_writes="1000000/minute",
        rate_limit_reports="1000000/minute",
        warm_engine=False,
    )
    app = create_app(settings)
    with app.state.session_factory() as session:
        _, token = create_user(session, name="bench coordinator", role=Role.coordinator)
        session.commit()
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    report = client.post(
        "/api/v1/reports", json={"child": {"given_name": "Bench"}}, headers=headers
    )
    return client, headers, report.json()["id"]


def _upload(client: TestClient, headers: dict[str, str], report_id: str, jpeg: bytes) -> str:
    response = client.post(
        f"/api/v1/reports/{report_id}/photos",
        files={"file": ("phone.jpg", jpeg, "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    photo_id: str = response.json()["id"]
    return photo_id


def _delete(client: TestClient, headers: dict[str, str], photo_id: str) -> None:
    assert client.delete(f"/api/v1/photos/{photo_id}", headers=headers).status_code == 204


def _timed(action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def memory_of_one_upload(photo: Path) -> None:
    """Run in a process of its own: one upload of `photo` after a warm-up; prints JSON. (The
    photo is made by the parent: making it here would raise the high water mark first.)"""
    jpeg = photo.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        client, headers, report_id = _setup(Path(folder), None)
        with client:
            small = io.BytesIO()
            Image.new("RGB", (64, 48)).save(small, format="JPEG")
            _delete(client, headers, _upload(client, headers, report_id, small.getvalue()))
            # Linux resets the resident set's high water mark (VmHWM) to the current size.
            Path("/proc/self/clear_refs").write_text("5")
            before = _status_kib("VmRSS")
            tracemalloc.start()
            _upload(client, headers, report_id, jpeg)
            _, python_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak = _status_kib("VmHWM")
    print(json.dumps({"rss_growth_kib": peak - before, "python_peak": python_peak}))


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photos", description=__doc__)
    parser.add_argument("--uploads", type=int, default=15)
    parser.add_argument("--gets", type=int, default=100)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--memory-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_of:
        memory_of_one_upload(args.memory_of)
        return 0
    jpeg = phone_jpeg()
    with tempfile.TemporaryDirectory() as folder:
        client, headers, report_id = _setup(Path(folder), args.database_url)
        with client:
            uploads = []
            photo_id = ""
            for _ in range(args.uploads):
                # A record holds at most 10 photos: each is deleted after it is timed.
                if photo_id:
                    _delete(client, headers, photo_id)

                def upload() -> None:
                    nonlocal photo_id
                    photo_id = _upload(client, headers, report_id, jpeg)

                uploads.append(_timed(upload))
            served = [
                _timed(
                    lambda size=size: client.get(
                        f"/api/v1/photos/{photo_id}?size={size}", headers=headers
                    ).raise_for_status()
                )
                for size in ("full", "thumbnail")
                for _ in range(args.gets)
            ]
    full, thumbnails = served[: args.gets], served[args.gets :]
    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo:
        photo.write(jpeg)
        photo.flush()
        measured = subprocess.run(  # noqa: S603 - this module, in a fresh interpreter
            [sys.executable, "-m", "bench.photos", "--memory-of", photo.name],
            capture_output=True,
            text=True,
            check=True,
        )
    memory = json.loads(measured.stdout.strip().splitlines()[-1])
    with open("/proc/loadavg") as load:
        load_average = load.read().split()[0]
    print(
        f"photos bench: {TWELVE_MP[0]} × {TWELVE_MP[1]} JPEG of {len(jpeg) / 1e6:.1f} MB; "
        f"load average {load_average}"
    )
    print(f"{'what':<34} {'n':>4} {'wall median ms':>15} {'CPU median ms':>14} {'target':>10}")
    rows = [
        ("upload, 12 MP JPEG", uploads, "< 400 ms"),
        ("serve a photo (2048 px)", full, "< 20 ms"),
        ("serve a thumbnail (320 px)", thumbnails, ""),
    ]
    for label, timings, target in rows:
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        print(f"{label:<34} {len(timings):>4} {wall:>15.1f} {cpu:>14.1f} {target:>10}")
    print(
        f"{'peak memory of one upload':<34} {1:>4} "
        f"{memory['rss_growth_kib'] / 1024:>12.1f} MiB resident-set growth "
        f"(Python heap peak {memory['python_peak'] / 2**20:.1f} MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
