"""The PFIF format on its own: writing valid documents, reading them back, refusing hostile XML."""

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from app.formats import pfif

pytestmark = pytest.mark.nodb

SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parents[1] / "pfif-1.4.rng")))

PERSON = {
    "person_record_id": "ridni.example/report.1",
    "source_date": "2024-05-01T10:00:00Z",
    "full_name": "Микола Андрійович Олійник",
    "given_name": "Микола Андрійович",
    "family_name": "Олійник",
    "alternate_names": "Коля\nКолька",
    "age": "12-14",
    "description": '<b>scar</b> & "quotes"\r\non two lines',
}
NOTE = {
    "note_record_id": "ridni.example/sighting.1",
    "person_record_id": "ridni.example/report.1",
    "author_name": "Ridni",
    "source_date": "2024-05-02T10:00:00Z",
    "status": "believed_alive",
    "text": "Seen in Евпатория.",
}


def read(document: bytes | str) -> list[pfif.Record]:
    data = document.encode() if isinstance(document, str) else document
    return list(pfif.read_records(io.BytesIO(data)))


class TestWrite:
    def test_a_document_is_valid_and_reads_back_the_same(self):
        document = "".join(pfif.write_document([PERSON], [NOTE]))
        assert SCHEMA.validate(etree.fromstring(document.encode())), SCHEMA.error_log
        person, note = read(document)
        assert (person.kind, person.fields) == ("person", PERSON)
        assert (note.kind, note.fields) == ("note", NOTE)

    def test_fields_keep_the_specifications_order_and_empty_ones_are_left_out(self):
        shuffled = dict(reversed(PERSON.items())) | {"home_city": None, "sex": ""}
        document = "".join(pfif.write_document([shuffled], []))
        [person] = etree.fromstring(document.encode())
        names = [child.tag.rpartition("}")[2] for child in person]
        assert names == [name for name in pfif.PERSON_FIELDS if name in PERSON]

    def test_characters_xml_cannot_carry_are_dropped(self):
        document = "".join(pfif.write_document([PERSON | {"home_city": "Ба\x00х\x1bмут"}], []))
        [person] = read(document)
        assert person.fields["home_city"] == "Бахмут"

    @pytest.mark.parametrize("missing", ["person_record_id", "source_date", "full_name"])
    def test_a_person_without_a_required_field_is_refused(self, missing: str):
        with pytest.raises(ValueError, match=missing):
            "".join(pfif.write_document([PERSON | {missing: None}], []))

    def test_an_unknown_field_is_refused(self):
        with pytest.raises(ValueError, match="source_contact"):
            "".join(pfif.write_document([], [NOTE | {"source_contact": "x"}]))

    def test_a_time_is_rfc3339_utc_to_the_second(self):
        kyiv = timezone(timedelta(hours=3))
        assert pfif.utc_time(datetime(2024, 5, 1, 13, 0, 7, 999, tzinfo=kyiv)) == (
            "2024-05-01T10:00:07Z"
        )


class TestRead:
    def test_notes_inside_a_person_get_its_record_id_whatever_the_order(self):
        document = f"""<pfif:pfif xmlns:pfif="{pfif.NAMESPACE}">
          <pfif:person>
            <pfif:note><pfif:note_record_id>a.example/n.1</pfif:note_record_id>
              <pfif:text>first</pfif:text></pfif:note>
            <pfif:full_name>Софія Коваленко</pfif:full_name>
            <pfif:person_record_id>a.example/p.1</pfif:person_record_id>
          </pfif:person>
        </pfif:pfif>"""
        person, note = read(document)
        assert person.fields == {
            "full_name": "Софія Коваленко",
            "person_record_id": "a.example/p.1",
        }
        assert note.fields == {
            "person_record_id": "a.example/p.1",
            "note_record_id": "a.example/n.1",
            "text": "first",
        }

    def test_pfif_1_2_fields_are_read_under_their_1_4_names(self):
        document = """<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.2"><pfif:person>
            <pfif:person_record_id>sahana.example/p.7</pfif:person_record_id>
            <pfif:first_name>Olena</pfif:first_name><pfif:last_name>Bondar</pfif:last_name>
            <pfif:other>description: brown eyes</pfif:other>
        </pfif:person></pfif:pfif>"""
        [person] = read(document)
        assert person.fields == {
            "person_record_id": "sahana.example/p.7",
            "given_name": "Olena",
            "family_name": "Bondar",
            "description": "description: brown eyes",
        }

    def test_unknown_elements_and_other_namespaces_are_ignored(self):
        document = f"""<pfif:pfif xmlns:pfif="{pfif.NAMESPACE}" xmlns:x="urn:x"><pfif:person>
            <pfif:full_name>Артем</pfif:full_name><x:secret>y</x:secret>
            <pfif:shoe_size>38</pfif:shoe_size>
        </pfif:person></pfif:pfif>"""
        [person] = read(document)
        assert person.fields == {"full_name": "Артем"}

    def test_each_record_knows_the_line_it_starts_on(self):
        document = "".join(pfif.write_document([PERSON, PERSON], [NOTE]))
        lines = document.splitlines()
        found = [(r.kind, r.line) for r in read(document)]
        assert [kind for kind, _ in found] == ["person", "person", "note"]
        for kind, line in found:
            assert lines[line - 1].strip() == f"<pfif:{kind}>"

    def test_a_large_file_is_read_a_chunk_at_a_time(self):
        many = pfif.write_document([PERSON] * 2000, [])
        source = io.BytesIO("".join(many).encode())
        records = pfif.read_records(source, chunk_size=4096)
        next(records)
        assert source.tell() < len(source.getvalue()) / 10


class TestHostileInput:
    """XML from outside is hostile: nothing in it may expand, fetch or read anything."""

    def test_an_entity_expansion_bomb_is_refused_before_anything_expands(self):
        lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
        bomb = f"""<?xml version="1.0"?>
            <!DOCTYPE pfif [<!ENTITY lol0 "lol">{lol}]>
            <pfif:pfif xmlns:pfif="{pfif.NAMESPACE}"><pfif:person>
            <pfif:full_name>&lol9;</pfif:full_name></pfif:person></pfif:pfif>"""
        with pytest.raises(pfif.PfifError, match="document type"):
            read(bomb)

    def test_an_external_entity_is_never_read(self, tmp_path: Path):
        secret = tmp_path / "secret.txt"
        secret.write_text("the-secret", encoding="utf-8")
        xxe = f"""<?xml version="1.0"?>
            <!DOCTYPE pfif [<!ENTITY x SYSTEM "file://{secret}">]>
            <pfif:pfif xmlns:pfif="{pfif.NAMESPACE}"><pfif:person>
            <pfif:full_name>&x;</pfif:full_name></pfif:person></pfif:pfif>"""
        with pytest.raises(pfif.PfifError, match="document type") as refused:
            read(xxe)
        assert "the-secret" not in str(refused.value)

    def test_an_external_dtd_is_refused(self):
        document = f"""<?xml version="1.0"?>
            <!DOCTYPE pfif SYSTEM "http://127.0.0.1:9/pfif.dtd">
            <pfif:pfif xmlns:pfif="{pfif.NAMESPACE}"/>"""
        with pytest.raises(pfif.PfifError, match="document type"):
            read(document)

    def test_malformed_xml_names_the_place(self):
        document = f'<pfif:pfif xmlns:pfif="{pfif.NAMESPACE}">\n<pfif:person>\n</pfif:pfif>'
        with pytest.raises(pfif.PfifError, match=r"not well-formed XML \(line 3, column 2\)"):
            read(document)

    @pytest.mark.parametrize(
        "document",
        [
            b"",
            b"<pfif/>",
            b'<pfif xmlns="http://zesty.ca/pfif/9.9"/>',
            b'<people xmlns="http://zesty.ca/pfif/1.4"/>',
        ],
        ids=["empty", "no-namespace", "unknown-version", "other-root"],
    )
    def test_a_file_that_is_not_pfif_is_refused(self, document: bytes):
        with pytest.raises(pfif.PfifError):
            read(document)
