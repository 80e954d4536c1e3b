"""Photos through the API: what is stored, what is served, who may do what, and what is left
behind when an upload fails. On SQLite and PostgreSQL alike."""

import io
import logging
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.settings import Settings
from app.models import Base
from app.photos.models import Photo
from app.photos.service import MAX_PER_RECORD
from app.photos.store import photo_dir
from tests.app import payloads
from tests.app.photos import samples
from tests.conftest import Caller, Callers

SAMPLES = {
    "jpeg": samples.jpeg_with_gps,
    "png": samples.png_with_text,
    "heic": samples.heic,
    "webp": samples.webp,
}


def file_report(client: TestClient, caller: Caller) -> str:
    response = client.post("/api/v1/reports", json=payloads.report(), headers=caller.headers)
    assert response.status_code == 201, response.text
    report_id: str = response.json()["id"]
    return report_id


def file_sighting(client: TestClient, caller: Caller) -> str:
    response = client.post("/api/v1/sightings", json=payloads.sighting(), headers=caller.headers)
    assert response.status_code == 201, response.text
    sighting_id: str = response.json()["id"]
    return sighting_id


def upload(
    client: TestClient,
    caller: Caller | None,
    path: str,
    data: bytes,
    *,
    name: str = "photo.jpg",
    caption: str | None = None,
    headers: dict[str, str] | None = None,
):  # type: ignore[no-untyped-def]
    form = {"caption": caption} if caption is not None else None
    return client.post(
        path,
        files={"file": (name, data, "image/jpeg")},
        data=form,
        headers={**(caller.headers if caller else {}), **(headers or {})},
    )


def store_files(settings: Settings) -> dict[str, bytes]:
    directory = photo_dir(settings)
    assert directory is not None
    if not directory.exists():
        return {}
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def assert_no_metadata(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    # Only the JFIF header Pillow writes into every JPEG; no EXIF, XMP, ICC, comment, IPTC.
    assert [marker for marker, _ in image.applist] == ["APP0"]
    assert image.applist[0][1].startswith(b"JFIF\0")
    assert not image.getexif()
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert b"CANARY" not in jpeg
    return image


def database_text(connection: Connection) -> bytes:
    """Every value of every table, as the database returns it."""
    dumped = []
    for table in Base.metadata.sorted_tables:
        for row in connection.execute(table.select()):
            dumped.append(repr(tuple(row)).encode())
    return b"\n".join(dumped)


class TestUpload:
    def test_family_adds_a_photo_to_its_report(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.family)
        response = upload(
            client,
            callers.family,
            f"/api/v1/reports/{report_id}/photos",
            samples.jpeg_with_gps(),
            caption="Шкільне фото",
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {
            "id",
            "report_id",
            "sighting_id",
            "width",
            "height",
            "content_type",
            "caption",
            "created_at",
        }
        assert (body["width"], body["height"]) == (640, 480)
        assert body["content_type"] == "image/jpeg"
        assert body["caption"] == "Шкільне фото"
        assert body["report_id"] == report_id and body["sighting_id"] is None
        assert body["created_at"].endswith("Z")

    def test_field_contact_adds_a_photo_to_its_sighting(self, client: TestClient, callers: Callers):
        sighting_id = file_sighting(client, callers.field)
        response = upload(
            client, callers.field, f"/api/v1/sightings/{sighting_id}/photos", samples.heic()
        )
        assert response.status_code == 201, response.text
        assert response.json()["sighting_id"] == sighting_id
        listed = client.get(
            f"/api/v1/sightings/{sighting_id}/photos", headers=callers.field.headers
        ).json()
        assert [p["id"] for p in listed["items"]] == [response.json()["id"]]
        assert listed["next_cursor"] is None

    @pytest.mark.parametrize("kind", sorted(SAMPLES))
    def test_nothing_but_the_picture_is_kept_or_served(
        self,
        kind: str,
        client: TestClient,
        callers: Callers,
        settings: Settings,
        connection: Connection,
        caplog: pytest.LogCaptureFixture,
    ):
        original = SAMPLES[kind]()
        report_id = file_report(client, callers.family)
        with caplog.at_level(logging.DEBUG):
            created = upload(
                client, callers.family, f"/api/v1/reports/{report_id}/photos", original
            )
            assert created.status_code == 201, created.text
            photo_id = created.json()["id"]
            served = {}
            for size in ("full", "thumbnail"):
                response = client.get(
                    f"/api/v1/photos/{photo_id}?size={size}", headers=callers.family.headers
                )
                assert response.status_code == 200
                assert response.headers["content-type"] == "image/jpeg"
                assert response.headers["cache-control"] == "no-store"
                served[size] = response.content
        full = assert_no_metadata(served["full"])
        thumbnail = assert_no_metadata(served["thumbnail"])
        assert full.size == (created.json()["width"], created.json()["height"])
        assert max(thumbnail.size) <= 320
        stored = b"\n".join(store_files(settings).values())
        database = database_text(connection) + _sqlite_files(settings)
        logs = caplog.text.encode()
        middle = original[len(original) // 2 : len(original) // 2 + 48]
        for place in (stored, database, logs):
            for canary in samples.CANARIES:
                assert canary not in place
            assert middle not in place
            assert served["full"][-64:] not in place  # the cleaned image is never in clear
            assert served["thumbnail"][-64:] not in place

    def test_png_text_chunks_are_gone_when_read_back(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.family)
        photo_id = upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.png_with_text()
        ).json()["id"]
        served = client.get(f"/api/v1/photos/{photo_id}", headers=callers.family.headers)
        image = Image.open(io.BytesIO(served.content))
        assert "Comment" not in image.info and "Description" not in image.info
        assert image.mode == "RGB"  # the transparency is laid on white

    def test_the_exif_orientation_is_applied(self, client: TestClient, callers: Callers):
        # Orientation 6: the camera was turned; the picture is shown turned 90° clockwise.
        original = samples.jpeg_with_gps(400, 200, orientation=6)
        report_id = file_report(client, callers.family)
        created = upload(client, callers.family, f"/api/v1/reports/{report_id}/photos", original)
        assert (created.json()["width"], created.json()["height"]) == (200, 400)
        served = client.get(
            f"/api/v1/photos/{created.json()['id']}", headers=callers.family.headers
        )
        image = Image.open(io.BytesIO(served.content)).convert("RGB")
        # The red corner block of the stored picture is now at the top right.
        red, green, _ = image.getpixel((195, 5))  # type: ignore[misc]
        assert red > 180 and green < 80
        red, green, _ = image.getpixel((5, 5))  # type: ignore[misc]
        assert abs(red - green) < 40  # grey: the picture's gradient, not the block

    def test_a_large_photo_is_scaled_to_2048_and_its_thumbnail_to_320(
        self, client: TestClient, callers: Callers
    ):
        report_id = file_report(client, callers.family)
        created = upload(
            client,
            callers.family,
            f"/api/v1/reports/{report_id}/photos",
            samples.jpeg_with_gps(3000, 2250),
        )
        assert (created.json()["width"], created.json()["height"]) == (2048, 1536)
        thumbnail = client.get(
            f"/api/v1/photos/{created.json()['id']}?size=thumbnail",
            headers=callers.family.headers,
        )
        assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 240)

    def test_the_format_is_judged_by_content_not_by_name(
        self, client: TestClient, callers: Callers
    ):
        report_id = file_report(client, callers.family)
        path = f"/api/v1/reports/{report_id}/photos"
        as_png = upload(client, callers.family, path, samples.png_with_text(), name="x.jpg")
        assert as_png.status_code == 201
        gif = io.BytesIO()
        samples.picture(20, 20).save(gif, format="GIF")
        for refused in (b"just text, named like a photo", gif.getvalue(), b"%PDF-1.4\n"):
            response = upload(client, callers.family, path, refused, name="photo.jpg")
            assert response.status_code == 415, response.text
            assert response.headers["content-type"] == "application/problem+json"

    def test_caption_and_form_are_validated(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.family)
        path = f"/api/v1/reports/{report_id}/photos"
        jpeg = samples.jpeg_with_gps(40, 30)
        for caption in ("with a \x00 NUL", "x" * 501, "   "):
            response = upload(client, callers.family, path, jpeg, caption=caption)
            assert response.status_code == 422, caption
            assert response.json()["errors"][0]["loc"][:2] == ["body", "caption"]
        extra = client.post(
            path,
            files={"file": ("p.jpg", jpeg, "image/jpeg")},
            data={"owner": "someone"},
            headers=callers.family.headers,
        )
        assert extra.status_code == 422
        no_file = client.post(path, files={"caption": (None, "x")}, headers=callers.family.headers)
        assert no_file.status_code == 422
        as_form = client.post(path, data={"caption": "x"}, headers=callers.family.headers)
        assert as_form.status_code == 415  # not multipart: the body guard refuses it
        not_multipart = client.post(path, json={"file": "x"}, headers=callers.family.headers)
        assert not_multipart.status_code == 415
        assert client.get(path, headers=callers.family.headers).json()["items"] == []

    def test_at_most_ten_photos_a_record(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.coordinator)
        path = f"/api/v1/reports/{report_id}/photos"
        jpeg = samples.jpeg_with_gps(40, 30)
        for _ in range(MAX_PER_RECORD):
            assert upload(client, callers.coordinator, path, jpeg).status_code == 201
        eleventh = upload(client, callers.coordinator, path, jpeg)
        assert eleventh.status_code == 409
        assert "at most 10 photos" in eleventh.json()["detail"]
        assert len(client.get(path, headers=callers.coordinator.headers).json()["items"]) == 10

    def test_a_retry_with_the_same_idempotency_key_creates_nothing_new(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report_id = file_report(client, callers.family)
        path = f"/api/v1/reports/{report_id}/photos"
        jpeg = samples.jpeg_with_gps(40, 30)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = upload(client, callers.family, path, jpeg, headers=key)
        again = upload(client, callers.family, path, jpeg, headers=key)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        other = upload(client, callers.family, path, samples.png_with_text(), headers=key)
        assert other.status_code == 422
        assert session.scalar(select(func.count()).select_from(Photo)) == 1


def _sqlite_files(settings: Settings) -> bytes:
    """The SQLite database file and its write-ahead log (nothing on PostgreSQL)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return b""
    path = Path(url.database)
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


class TestNothingLeftBehind:
    @pytest.mark.parametrize(
        ("make", "status"),
        [
            (samples.bomb, 422),
            (lambda: samples.jpeg_with_gps(800, 600)[:4000], 422),  # truncated
            (lambda: samples.png_with_text()[:300], 422),  # truncated
        ],
        ids=["bomb", "truncated-jpeg", "truncated-png"],
    )
    def test_a_refused_upload_leaves_neither_file_nor_row(
        self,
        make,  # type: ignore[no-untyped-def]
        status: int,
        client: TestClient,
        callers: Callers,
        session: Session,
        settings: Settings,
    ):
        report_id = file_report(client, callers.family)
        before = set(store_files(settings))
        response = upload(client, callers.family, f"/api/v1/reports/{report_id}/photos", make())
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert set(store_files(settings)) == before
        assert session.scalar(select(func.count()).select_from(Photo)) == 0

    def test_the_bomb_is_refused_for_its_declared_size(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.family)
        response = upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.bomb()
        )
        assert "10000 × 10000 pixels" in response.json()["detail"]
        assert "40 megapixels" in response.json()["detail"]

    def test_over_20_mib_is_a_413(
        self, client: TestClient, callers: Callers, session: Session, settings: Settings
    ):
        report_id = file_report(client, callers.family)
        before = set(store_files(settings))
        big = samples.jpeg_with_gps(40, 30) + b"\0" * (20 * 1024 * 1024)
        response = upload(client, callers.family, f"/api/v1/reports/{report_id}/photos", big)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert set(store_files(settings)) == before
        assert session.scalar(select(func.count()).select_from(Photo)) == 0

    def test_the_eleventh_photo_leaves_no_file(
        self, client: TestClient, callers: Callers, settings: Settings
    ):
        report_id = file_report(client, callers.admin)
        path = f"/api/v1/reports/{report_id}/photos"
        jpeg = samples.jpeg_with_gps(40, 30)
        for _ in range(MAX_PER_RECORD):
            upload(client, callers.admin, path, jpeg)
        before = set(store_files(settings))
        assert upload(client, callers.admin, path, jpeg).status_code == 409
        assert set(store_files(settings)) == before


class TestDelete:
    def test_a_deleted_photo_is_gone_with_its_files_and_key(
        self, client: TestClient, callers: Callers, session: Session, settings: Settings
    ):
        report_id = file_report(client, callers.family)
        before = set(store_files(settings))
        photo_id = upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.heic()
        ).json()["id"]
        assert len(set(store_files(settings)) - before) == 2
        deleted = client.delete(f"/api/v1/photos/{photo_id}", headers=callers.family.headers)
        assert deleted.status_code == 204
        assert set(store_files(settings)) == before
        assert session.get(Photo, photo_id) is None
        again = client.get(f"/api/v1/photos/{photo_id}", headers=callers.coordinator.headers)
        assert again.status_code == 404


class TestDamaged:
    def _photo(self, client: TestClient, callers: Callers) -> str:
        report_id = file_report(client, callers.family)
        photo_id: str = upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.webp()
        ).json()["id"]
        return photo_id

    def _assert_unreadable(self, response, photo_id: str) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code == 500
        body = response.json()
        assert body["title"] == "Photo unreadable"
        assert photo_id in body["detail"]
        # Nothing else: no file name, no path, no key version.
        assert "/" not in body["detail"] and "v1" not in body["detail"]

    def test_an_altered_file_is_a_clear_problem(
        self, client: TestClient, callers: Callers, session: Session, settings: Settings
    ):
        photo_id = self._photo(client, callers)
        photo = session.get(Photo, photo_id)
        assert photo is not None
        directory = photo_dir(settings)
        assert directory is not None
        path = directory / photo.image_file
        damaged = bytearray(path.read_bytes())
        damaged[40] ^= 0xFF
        path.write_bytes(bytes(damaged))
        response = client.get(f"/api/v1/photos/{photo_id}", headers=callers.family.headers)
        self._assert_unreadable(response, photo_id)
        assert response.json()["detail"].count(photo.image_file) == 0
        thumbnail = client.get(
            f"/api/v1/photos/{photo_id}?size=thumbnail", headers=callers.family.headers
        )
        assert thumbnail.status_code == 200  # the other file is whole

    def test_a_missing_file_and_a_key_from_another_photo(
        self, client: TestClient, callers: Callers, session: Session, settings: Settings
    ):
        first, second = self._photo(client, callers), self._photo(client, callers)
        photo = session.get(Photo, first)
        assert photo is not None
        directory = photo_dir(settings)
        assert directory is not None
        (directory / photo.thumbnail_file).unlink()
        response = client.get(
            f"/api/v1/photos/{first}?size=thumbnail", headers=callers.family.headers
        )
        self._assert_unreadable(response, first)
        stolen = session.execute(text("SELECT data_key FROM photos WHERE id = :id"), {"id": second})
        session.execute(
            update(Photo).where(Photo.id == first).values(data_key=stolen.scalar_one()),
            execution_options={"synchronize_session": False},
        )
        session.flush()
        response = client.get(f"/api/v1/photos/{first}", headers=callers.family.headers)
        self._assert_unreadable(response, first)
        # Listing and deleting need no key: a damaged photo can still be removed.
        report_id = photo.report_id
        listed = client.get(f"/api/v1/reports/{report_id}/photos", headers=callers.family.headers)
        assert listed.status_code == 200
        assert (
            client.delete(f"/api/v1/photos/{first}", headers=callers.family.headers).status_code
            == 204
        )


class TestAuditAndLists:
    def test_upload_view_list_and_delete_are_audited(
        self, client: TestClient, callers: Callers, session: Session
    ):
        report_id = file_report(client, callers.family)
        photo_id = upload(
            client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.webp()
        ).json()["id"]
        client.get(f"/api/v1/photos/{photo_id}", headers=callers.coordinator.headers)
        client.get(f"/api/v1/reports/{report_id}/photos", headers=callers.admin.headers)
        client.delete(f"/api/v1/photos/{photo_id}", headers=callers.family.headers)
        client.get(f"/api/v1/photos/{photo_id}", headers=callers.family2.headers)
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.user_id, AuditEvent.outcome)
            .where(AuditEvent.object_id.in_([photo_id, report_id]))
            .where(AuditEvent.action.like("%photo%"))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        seen = {(a, o, u, out) for a, o, u, out in rows}
        assert seen == {
            ("report.photo_add", report_id, callers.family.user_id, "allowed"),
            ("photo.create", photo_id, callers.family.user_id, "allowed"),
            ("photo.read", photo_id, callers.coordinator.user_id, "allowed"),
            ("report.photos", report_id, callers.admin.user_id, "allowed"),
            ("photo.list", photo_id, callers.admin.user_id, "allowed"),
            ("photo.delete", photo_id, callers.family.user_id, "allowed"),
            ("photo.read", photo_id, callers.family2.user_id, "not_found"),
        }

    def test_photos_appear_in_no_list_or_export(self, client: TestClient, callers: Callers):
        report_id = file_report(client, callers.family)
        sighting_id = file_sighting(client, callers.field)
        ids = [
            upload(client, callers.coordinator, path, samples.webp()).json()["id"]
            for path in (
                f"/api/v1/reports/{report_id}/photos",
                f"/api/v1/sightings/{sighting_id}/photos",
            )
        ]
        headers = callers.admin.headers
        answers = [
            client.get("/api/v1/reports", headers=headers).text,
            client.get("/api/v1/sightings", headers=headers).text,
            client.get(f"/api/v1/reports/{report_id}", headers=headers).text,
            client.get("/api/v1/exports/reports", headers=headers).text,
            client.get("/api/v1/exports/pfif", headers=headers).text,
        ]
        for answer in answers:
            assert report_id in answer or sighting_id in answer or "pfif" in answer
            for photo_id in ids:
                assert photo_id not in answer
            assert "photo" not in answer.lower()


class TestNotConfigured:
    def test_without_a_photo_store_the_routes_say_so(
        self, app: FastAPI, client: TestClient, callers: Callers
    ):
        report_id = file_report(client, callers.family)
        kept, app.state.photo_store = app.state.photo_store, None  # PostgreSQL, not set
        try:
            response = upload(
                client, callers.family, f"/api/v1/reports/{report_id}/photos", samples.webp()
            )
        finally:
            app.state.photo_store = kept
        assert response.status_code == 503
        assert "RIDNI_PHOTO_DIR" in response.json()["detail"]

    def test_the_default_store_is_beside_a_sqlite_file_and_none_for_postgresql(self):
        beside = photo_dir(Settings(database_url="sqlite:////srv/ridni/ridni.db"))
        assert beside == Path("/srv/ridni/ridni.db.photos")
        assert photo_dir(Settings(database_url="postgresql+psycopg://db/ridni")) is None
        chosen = Settings(database_url="postgresql+psycopg://db/ridni", photo_dir=Path("/v/p"))
        assert photo_dir(chosen) == Path("/v/p")
