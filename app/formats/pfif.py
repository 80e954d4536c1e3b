"""PFIF 1.4, the People Finder Interchange Format (http://zesty.ca/pfif/1.4): writing and reading.

Only the format: records are plain mappings of PFIF field name to text; which of Ridni's fields
go where is decided by the exports and imports services. Writing streams a document record by
record (constant memory). Reading treats the file as hostile: a document type declaration (and
with it every entity, internal or external) is refused before anything is expanded, nothing is
fetched, and each record is freed as soon as it has been read.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Literal
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler, feature_namespaces
from xml.sax.saxutils import escape
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.expatreader import DefusedExpatParser

NAMESPACE = "http://zesty.ca/pfif/1.4"
MEDIA_TYPE = "application/pfif+xml"
# Earlier versions are read too (Sahana and older registries still speak 1.2); their renamed
# fields are read under their 1.4 names.
READ_NAMESPACES = {
    NAMESPACE: "1.4",
    "http://zesty.ca/pfif/1.3": "1.3",
    "http://zesty.ca/pfif/1.2": "1.2",
}
_RENAMED = {
    "first_name": "given_name",
    "last_name": "family_name",
    "other": "description",
    "found": "author_made_contact",
}

# The fields of each record in the specification's order (section 4), which the writer keeps.
PERSON_FIELDS = (
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
)
NOTE_FIELDS = (
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
)
_REQUIRED = {
    "person": ("person_record_id", "source_date", "full_name"),
    "note": ("note_record_id", "author_name", "source_date", "text"),
}
# The value patterns of the specification's schema, for the fields whose form it constrains.
EMAIL = re.compile(r".+@.+")
PHONE = re.compile(r"[\-+()\d ]+")
RECORD_ID = re.compile(r".+/.+")

# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Kind = Literal["person", "note"]


class PfifError(ValueError):
    """The file cannot be read as PFIF at all (as opposed to one bad record in it)."""


def utc_time(moment: datetime) -> str:
    """A PFIF time: RFC 3339 in UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_document(
    persons: Iterable[Mapping[str, str | None]], notes: Iterable[Mapping[str, str | None]]
) -> Iterator[str]:
    """A PFIF 1.4 document, in pieces of one record each: every person, then every note.

    Notes stand after the persons rather than inside them (the specification allows both when
    a note carries its `person_record_id`), so that neither stream has to be held in memory.
    Empty fields are left out; the fields a record must have raise `ValueError` when missing.
    Element names are the specification's own; every value is escaped.
    """
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<pfif:pfif xmlns:pfif="{NAMESPACE}">\n'
    for record in persons:
        yield _record("person", PERSON_FIELDS, record)
    for record in notes:
        yield _record("note", NOTE_FIELDS, record)
    yield "</pfif:pfif>\n"


def _record(kind: Kind, order: tuple[str, ...], record: Mapping[str, str | None]) -> str:
    unknown = set(record) - set(order)
    if unknown:
        raise ValueError(f"not PFIF {kind} fields: {sorted(unknown)}")
    missing = [name for name in _REQUIRED[kind] if not record.get(name)]
    if missing:
        raise ValueError(f"a PFIF {kind} needs {missing}")
    lines = [f"  <pfif:{kind}>\n"]
    for name in order:
        value = record.get(name)
        if value:
            text = escape(_NOT_XML.sub("", value), {"\r": "&#13;"})
            lines.append(f"    <pfif:{name}>{text}</pfif:{name}>\n")
    lines.append(f"  </pfif:{kind}>\n")
    return "".join(lines)


@dataclass
class Record:
    """One person or note as read: the line it starts on, and its fields (under their PFIF 1.4
    names; unknown elements are ignored, as extensions may add them)."""

    kind: Kind
    line: int
    fields: dict[str, str] = field(default_factory=dict)


def read_records(source: IO[bytes], *, chunk_size: int = 64 * 1024) -> Iterator[Record]:
    """Each person and note of a PFIF 1.2, 1.3 or 1.4 document, in file order, as the file is
    read (a chunk at a time: memory stays flat however long the file).

    A note written inside a person follows that person and gets its `person_record_id` when
    it has none. Raises `PfifError`, with a reason a person can act on, when the file is not
    well-formed XML, is not PFIF, or declares a document type (which is how entity expansion
    bombs and external entities get in: PFIF never needs one).
    """
    handler = _Handler()
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    # `parse` would hand the handler a locator; `feed`, which streams, leaves that to us.
    handler.setDocumentLocator(ExpatLocator(parser))
    try:
        while chunk := source.read(chunk_size):
            parser.feed(chunk)
            yield from handler.take()
        parser.close()
    except DTDForbidden:
        raise PfifError(
            "the file declares a document type (DOCTYPE); PFIF never needs one, and it is how "
            "entity expansion bombs and external entities get in, so the file was not read"
        ) from None
    except DefusedXmlException:
        raise PfifError("the file uses entities or external references; it was not read") from None
    except SAXParseException as error:
        raise PfifError(
            f"not well-formed XML (line {error.getLineNumber()}, column {error.getColumnNumber()})"
        ) from None
    if handler.namespace is None:
        raise PfifError("the file is empty")
    yield from handler.take()


# A field's text is kept up to this length: longer values fail validation all the same, and a
# file cannot make the reader hold more than this per field.
_FIELD_CHARS = 20_000


class _Handler(ContentHandler):
    """SAX events to records. Holds only the record being read (and, for a person, the notes
    written inside it)."""

    def __init__(self) -> None:
        super().__init__()
        self.namespace: str | None = None
        self.path: list[str | None] = []  # local names of the open elements (None: foreign)
        self.person: Record | None = None
        self.inner_notes: list[Record] = []
        self.note: Record | None = None
        self.text: list[str] | None = None
        self.text_chars = 0
        self.ready: list[Record] = []
        self.locator: Locator | None = None

    def take(self) -> list[Record]:
        ready, self.ready = self.ready, []
        return ready

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def _line(self) -> int:
        return (self.locator.getLineNumber() or 0) if self.locator is not None else 0

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: object
    ) -> None:
        namespace, local = name
        if not self.path:
            if local != "pfif" or namespace not in READ_NAMESPACES:
                raise PfifError(
                    "not a PFIF document: the root element must be pfif in the namespace "
                    f"{NAMESPACE}"
                )
            self.namespace = namespace
        ours = local if namespace == self.namespace else None
        parent = self.path[-1] if self.path else None
        self.path.append(ours)
        self.text = None
        if ours == "person" and len(self.path) == 2:
            self.person = Record("person", self._line())
        elif ours == "note" and (
            len(self.path) == 2 or (len(self.path) == 3 and self.person is not None)
        ):
            self.note = Record("note", self._line())
        elif parent in ("person", "note") and self._record() is not None and ours is not None:
            self.text, self.text_chars = [], 0

    def characters(self, content: str) -> None:
        if self.text is not None and self.text_chars < _FIELD_CHARS:
            self.text.append(content[: _FIELD_CHARS - self.text_chars])
            self.text_chars += len(content)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        ours = self.path.pop()
        if ours == "note" and self.note is not None and len(self.path) in (1, 2):
            if self.person is not None and len(self.path) == 2:
                self.inner_notes.append(self.note)
            else:
                self.ready.append(self.note)
            self.note = None
        elif ours == "person" and self.person is not None and len(self.path) == 1:
            owner = self.person.fields.get("person_record_id")
            for note in self.inner_notes:
                if owner:
                    note.fields.setdefault("person_record_id", owner)
            self.ready += [self.person, *self.inner_notes]
            self.person, self.inner_notes = None, []
        elif self.text is not None and ours is not None:
            record = self._record()
            allowed = PERSON_FIELDS if record is self.person else NOTE_FIELDS
            field_name = _RENAMED.get(ours, ours)
            value = "".join(self.text).strip()
            if record is not None and field_name in allowed and value:
                record.fields[field_name] = value
            self.text = None
        else:
            self.text = None

    def _record(self) -> Record | None:
        return self.note if self.note is not None else self.person
