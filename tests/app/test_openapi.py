"""The OpenAPI document, walked whole: whatever is added to the API is described, not only the
routes and fields there are today."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.schemas import InputModel

Document = dict[str, Any]


@pytest.fixture
def document(client: TestClient) -> Document:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    schema: Document = answer.json()
    return schema


def operations(document: Document) -> Iterator[tuple[str, Document]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def properties(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Every property of every object schema inside `node`, however deeply nested."""
    if isinstance(node, dict):
        for name, schema in node.get("properties", {}).items():
            yield f"{where}.{name}", schema
        for key, value in node.items():
            yield from properties(value, f"{where}.{key}" if key != "properties" else where)
    elif isinstance(node, list):
        for item in node:
            yield from properties(item, where)


def test_every_property_has_a_description(document: Document):
    walked = [
        *properties(document["components"]["schemas"], "components"),
        *properties(document["paths"], "paths"),
    ]
    assert len(walked) > 300  # the walk reaches the nested schemas
    assert [where for where, schema in walked if not schema.get("description")] == []


def test_every_operation_has_a_description(document: Document):
    assert [
        name for name, operation in operations(document) if not operation.get("description")
    ] == []


def test_every_request_body_has_an_example(document: Document):
    schemas = document["components"]["schemas"]

    def has_example(media: Document) -> bool:
        if "example" in media or "examples" in media:
            return True
        reference = media.get("schema", {}).get("$ref", "")
        return bool(schemas.get(reference.rsplit("/", 1)[-1], {}).get("examples"))

    bodies = {
        name: operation["requestBody"]["content"]
        for name, operation in operations(document)
        if "requestBody" in operation
    }
    assert len(bodies) >= 7
    assert [
        (name, media_type)
        for name, content in bodies.items()
        for media_type, media in content.items()
        if not has_example(media)
    ] == []


def test_every_json_example_is_a_valid_body(document: Document):
    """The examples are what a client copies: each must be accepted as it stands."""
    bodies = {model.__name__: model for model in subclasses(InputModel)}
    examples = [
        (name, example)
        for name, schema in document["components"]["schemas"].items()
        for example in schema.get("examples", [])
    ]
    assert len(examples) >= 6
    for name, example in examples:
        bodies[name].model_validate(example)


def subclasses(model: type[InputModel]) -> Iterator[type[InputModel]]:
    for subclass in model.__subclasses__():
        yield subclass
        yield from subclasses(subclass)


def test_a_server_error_is_documented_on_every_operation(document: Document):
    for name, operation in operations(document):
        answer = operation["responses"].get("500")
        assert answer is not None, name
        assert "application/problem+json" in answer["content"], name
