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
from io import StringIO
from typing import IO, Literal, cast
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesNSImpl

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import iterparse

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
_NO_ATTRIBUTES = AttributesNSImpl({}, {})


class PfifError(ValueError):
    """The file cannot be read as PFIF at all (as opposed to one bad record in it)."""


def utc_time(moment: datetime) -> str:
    """A PFIF time: RFC 3339 in UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_document(
    persons: Iterable[Mapping[str, str | None]], notes: Iterable[Mapping[str, str | None]]
) -> Iterator[str]:
    """A PFIF 1.4 document, in pieces of about one record each: every person, then every note.

    Notes stand after the persons rather than inside them (the specification allows both when
    a note carries its `person_record_id`), so that neither stream has to be held in memory.
    Empty fields are left out; the fields a record must have raise `ValueError` when missing.
    """
    buffer = StringIO()
    xml = XMLGenerator(buffer, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startPrefixMapping("pfif", NAMESPACE)
    xml.startElementNS((NAMESPACE, "pfif"), "pfif:pfif", _NO_ATTRIBUTES)
    yield _drain(buffer)
    for kind, records in (("person", persons), ("note", notes)):
        order = PERSON_FIELDS if kind == "person" else NOTE_FIELDS
        for record in records:
            _write_record(xml, cast(Kind, kind), order, record)
            yield _drain(buffer)
    xml.ignorableWhitespace("\n")
    xml.endElementNS((NAMESPACE, "pfif"), "pfif:pfif")
    xml.endPrefixMapping("pfif")
    xml.ignorableWhitespace("\n")
    xml.endDocument()
    yield _drain(buffer)


def _write_record(
    xml: XMLGenerator, kind: Kind, order: tuple[str, ...], record: Mapping[str, str | None]
) -> None:
    unknown = set(record) - set(order)
    if unknown:
        raise ValueError(f"not PFIF {kind} fields: {sorted(unknown)}")
    missing = [name for name in _REQUIRED[kind] if not record.get(name)]
    if missing:
        raise ValueError(f"a PFIF {kind} needs {missing}")
    xml.ignorableWhitespace("\n  ")
    xml.startElementNS((NAMESPACE, kind), f"pfif:{kind}", _NO_ATTRIBUTES)
    for name in order:
        value = record.get(name)
        if not value:
            continue
        xml.ignorableWhitespace("\n    ")
        xml.startElementNS((NAMESPACE, name), f"pfif:{name}", _NO_ATTRIBUTES)
        xml.characters(_NOT_XML.sub("", value))
        xml.endElementNS((NAMESPACE, name), f"pfif:{name}")
    xml.ignorableWhitespace("\n  ")
    xml.endElementNS((NAMESPACE, kind), f"pfif:{kind}")


def _drain(buffer: StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


@dataclass
class Record:
    """One person or note as read: its position among the records of its kind, and its fields
    (under their PFIF 1.4 names; unknown elements are ignored, as extensions may add them)."""

    kind: Kind
    number: int
    fields: dict[str, str] = field(default_factory=dict)


def read_records(source: IO[bytes]) -> Iterator[Record]:
    """Each person and note of a PFIF 1.2, 1.3 or 1.4 document, in file order.

    A note inside a person gets that person's `person_record_id` when it has none. Raises
    `PfifError`, with a reason a person can act on, when the file is not well-formed XML, is not
    PFIF, or declares a document type (which is how entity expansion bombs and external
    entities get in: PFIF never needs one).
    """
    reader = _Reader()
    try:
        for event, element in iterparse(
            source,
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start":
                reader.start(element)
            else:
                yield from reader.end(element)
    except DTDForbidden:
        raise PfifError(
            "the file declares a document type (DOCTYPE); PFIF never needs one, and it is how "
            "entity expansion bombs and external entities get in, so the file was not read"
        ) from None
    except DefusedXmlException:
        raise PfifError("the file uses entities or external references; it was not read") from None
    except ParseError as error:
        line, column = error.position
        raise PfifError(f"not well-formed XML (line {line}, column {column})") from None


class _Reader:
    """Turns iterparse events into records, keeping no more than the record being read."""

    def __init__(self) -> None:
        self.root: Element | None = None
        self.prefix = ""
        self.depth = 0
        self.person: Element | None = None
        self.pending: list[dict[str, str]] = []
        self.counts = {"person": 0, "note": 0}

    def start(self, element: Element) -> None:
        self.depth += 1
        if self.depth == 1:
            namespace, _, local = element.tag.removeprefix("{").partition("}")
            if local != "pfif" or namespace not in READ_NAMESPACES:
                raise PfifError(
                    "not a PFIF document: the root element must be pfif in the namespace "
                    f"{NAMESPACE}"
                )
            self.root = element
            self.prefix = f"{{{namespace}}}"
        elif self.depth == 2 and element.tag == f"{self.prefix}person":
            self.person = element

    def end(self, element: Element) -> list[Record]:
        """The records this element completes: a top-level note, or a person and the notes
        written inside it (which get its `person_record_id` when they have none)."""
        self.depth -= 1
        kind = element.tag.removeprefix(self.prefix)
        if kind == "note" and self.depth == 2 and self.person is not None:
            self.pending.append(self._fields(kind, element))
            self.person.remove(element)
            return []
        if kind not in ("person", "note") or self.depth != 1 or self.root is None:
            return []
        self.root.remove(element)
        if kind == "note":
            return [self._record("note", self._fields(kind, element))]
        person = self._record("person", self._fields(kind, element))
        owner = person.fields.get("person_record_id")
        notes = [
            self._record("note", {"person_record_id": owner, **n} if owner else n)
            for n in self.pending
        ]
        self.person, self.pending = None, []
        return [person, *notes]

    def _record(self, kind: Kind, fields: dict[str, str]) -> Record:
        self.counts[kind] += 1
        return Record(kind, self.counts[kind], fields)

    def _fields(self, kind: str, element: Element) -> dict[str, str]:
        allowed = PERSON_FIELDS if kind == "person" else NOTE_FIELDS
        fields: dict[str, str] = {}
        for child in element:
            if not child.tag.startswith(self.prefix) or len(child):
                continue
            name = child.tag.removeprefix(self.prefix)
            name = _RENAMED.get(name, name)
            value = (child.text or "").strip()
            if name in allowed and value:
                fields[name] = value
        return fields
