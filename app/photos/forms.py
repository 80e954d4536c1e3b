"""Reading a photo upload (`multipart/form-data`: `file`, optional `caption`) into memory.

Starlette's parser spools a file part over 1 MiB to a temporary file on disk: a photo in clear,
left there after a crash. This parser keeps every part in memory, which stays bounded: the
request body guard (`app.core.limits`) cuts the body off past MAX_BODY_BYTES and answers 413.
"""

from dataclasses import dataclass

from fastapi import Request
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.core.problems import Problem, Unprocessable, validation_problem
from app.core.text import SHORT_MAX, ShortText

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024  # the file, a caption and the multipart framing
FIELDS = ("file", "caption")
_CAPTION: TypeAdapter[str] = TypeAdapter(ShortText)  # as the schemas bound free text


class PayloadTooLarge(Problem):
    status = 413
    title = "Payload too large"


class MalformedForm(Problem):
    status = 400
    title = "Malformed multipart body"


class _InMemoryParser(MultiPartParser):
    spool_max_size = MAX_BODY_BYTES + 1  # never reached: the body is cut off before


@dataclass(frozen=True)
class PhotoForm:
    data: bytes
    caption: str | None


def _invalid(field: str, message: str, kind: str) -> Unprocessable:
    return Unprocessable(
        "The request does not validate.",
        errors=[{"loc": ["body", field], "msg": message, "type": kind}],
    )


async def read_photo_form(request: Request) -> PhotoForm:
    """The upload's bytes and caption; 400 for a body that is not multipart, 413 for a file
    over MAX_FILE_BYTES, 422 for a missing file, an unknown field or a bad caption."""
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != (
        "multipart/form-data"
    ):
        raise _invalid("file", "send the photo as multipart/form-data", "missing")
    parser = _InMemoryParser(
        request.headers, request.stream(), max_files=1, max_fields=1, max_part_size=4 * SHORT_MAX
    )
    try:
        form = await parser.parse()
    except MultiPartException:
        raise MalformedForm(
            "The body is not valid multipart/form-data with one file and at most a caption."
        ) from None
    try:
        unknown = sorted(set(form) - set(FIELDS))
        if unknown:
            raise _invalid(unknown[0], "unknown field", "extra_forbidden")
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise _invalid("file", "a photo is required, sent as a file part", "missing")
        data = await file.read()
        if len(data) > MAX_FILE_BYTES:
            raise PayloadTooLarge(f"A photo is limited to {MAX_FILE_BYTES} bytes.")
        return PhotoForm(data, _caption(form.get("caption")))
    finally:
        await form.close()


def _caption(value: str | UploadFile | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid("caption", "a caption is text, not a file", "string_type")
    try:
        return _CAPTION.validate_python(value)
    except ValidationError as error:
        raise validation_problem(error, ["body", "caption"]) from None
