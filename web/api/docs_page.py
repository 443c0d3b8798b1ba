"""The OpenAPI document as a person reads API docs: operations grouped by resource, parameters
and fields as tables, a JSON example of each body (made from its schema) folded away.

Plain data for templates/api/docs.html; no script, no external service (the page's CSP allows
neither).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_PREFIX = "#/components/schemas/"
MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    schema_ref: str | None  # the schema to link to, if the type is one
    required: bool
    notes: str
    where: str = ""  # a parameter's place: path, query or header


@dataclass(frozen=True, slots=True)
class Body:
    schema: str | None  # its name in components/schemas, linked to
    content_type: str
    fields: list[Field]
    example: str | None


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    description: str
    body: Body | None


@dataclass(slots=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Field]
    request: Body | None
    responses: list[Response]


@dataclass(slots=True)
class Group:
    name: str
    anchor: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Schema:
    anchor: str
    name: str
    description: str
    fields: list[Field]
    example: str


class Reader:
    """Resolves references and describes schemas of one OpenAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            name = ref.removeprefix(SCHEMA_PREFIX)
            return name, self.schemas.get(name, {})
        return None, schema

    def type_of(self, schema: dict[str, Any]) -> tuple[str, str | None]:
        """A short type ("string (date)", "array of LineItem", "Company or null") and the
        schema it names, if any."""
        name, resolved = self.resolve(schema)
        if name is not None:
            return _title(name), name
        for key in ("anyOf", "oneOf"):
            if key in schema:
                parts = [self.type_of(s) for s in schema[key]]
                named = next((ref for _, ref in parts if ref), None)
                return " or ".join(dict.fromkeys(t for t, _ in parts)), named
        kind = resolved.get("type", "any")
        if kind == "array":
            item, named = self.type_of(resolved.get("items", {}))
            return f"array of {item}", named
        if "enum" in resolved:
            return "one of " + ", ".join(json.dumps(v) for v in resolved["enum"]), None
        if isinstance(kind, list):
            kind = " or ".join(kind)
        if "format" in resolved:
            return f"{kind} ({resolved['format']})", None
        return str(kind), None

    def fields(self, schema: dict[str, Any]) -> list[Field]:
        _, resolved = self.resolve(schema)
        required = set(resolved.get("required", []))
        rows = []
        for name, prop in resolved.get("properties", {}).items():
            kind, ref = self.type_of(prop)
            rows.append(Field(name, kind, ref, name in required, _notes(prop)))
        return rows

    def example(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """A plausible value for `schema`: its own example or default, else made up by type."""
        name, resolved = self.resolve(schema)
        for key in ("example", "const"):
            if key in resolved:
                return resolved[key]
        if resolved.get("examples"):
            return resolved["examples"][0]
        if resolved.get("default") is not None:
            return resolved["default"]
        for key in ("anyOf", "oneOf"):
            if key in resolved:
                options = [s for s in resolved[key] if s.get("type") != "null"] or resolved[key]
                return self.example(options[0], depth)
        if "enum" in resolved:
            return resolved["enum"][0]
        if depth >= MAX_DEPTH:
            return {} if resolved.get("type") == "object" or name else None
        return _made_up(self, resolved, depth)


def _made_up(reader: Reader, schema: dict[str, Any], depth: int) -> Any:
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: reader.example(v, depth + 1) for k, v in props.items()}
    if kind == "array":
        return [reader.example(schema.get("items", {}), depth + 1)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "string":
        return FORMATS.get(schema.get("format", ""), "string")
    return None


FORMATS = {
    "date": "2026-07-01",
    "date-time": "2026-07-01T09:00:00Z",
    "email": "ann@example.com",
    "uri": "https://example.com/",
    "binary": "(binary)",
}


def _title(name: str) -> str:
    """web__api__schemas_v1__CustomerOut -> CustomerOut (pydantic's name for a clash)."""
    return name.rsplit("__", 1)[-1]


def _notes(prop: dict[str, Any]) -> str:
    notes = [prop["description"].strip().rstrip(".")] if prop.get("description") else []
    limits = {
        "minLength": "at least {} characters",
        "maxLength": "at most {} characters",
        "minimum": "at least {}",
        "maximum": "at most {}",
        "exclusiveMinimum": "more than {}",
        "pattern": "matches {}",
    }
    for schema in [prop, *prop.get("anyOf", [])]:
        notes += [text.format(schema[key]) for key, text in limits.items() if key in schema]
    if prop.get("default") is not None:
        notes.append(f"default {json.dumps(prop['default'])}")
    return "; ".join(notes)


def _body(reader: Reader, content: dict[str, Any]) -> Body:
    content_type, media = next(iter(content.items()))
    schema = media.get("schema", {})
    name, resolved = reader.resolve(schema)
    if content_type != "application/json":
        return Body(None, content_type, [], None)
    example = json.dumps(reader.example(schema), indent=2, ensure_ascii=False)
    return Body(name, content_type, reader.fields(resolved), example)


def _operation(reader: Reader, method: str, path: str, op: dict[str, Any]) -> Operation:
    parameters = [
        Field(
            p["name"],
            reader.type_of(p.get("schema", {}))[0],
            None,
            bool(p.get("required")),
            _notes(p.get("schema", {}) | {"description": p.get("description", "")}),
            p["in"],
        )
        for p in op.get("parameters", [])
    ]
    request = op.get("requestBody", {}).get("content")
    responses = [
        Response(status, r.get("description", ""), _body(reader, r["content"]))
        if "content" in r
        else Response(status, r.get("description", ""), None)
        for status, r in op.get("responses", {}).items()
    ]
    return Operation(
        anchor=op.get("operationId", f"{method}-{path}"),
        method=method,
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        parameters=parameters,
        request=_body(reader, request) if request else None,
        responses=responses,
    )


def page_context(document: dict[str, Any]) -> dict[str, Any]:
    """What the template shows: the groups with their operations, and every schema."""
    reader = Reader(document)
    groups: dict[str, Group] = {}
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            tag = (op.get("tags") or ["other"])[0]
            group = groups.setdefault(tag, Group(tag, f"tag-{tag}"))
            group.operations.append(_operation(reader, method, path, op))
    described = {t["name"]: t.get("description", "") for t in document.get("tags", [])}
    schemas = [
        Schema(
            name,
            _title(name),
            schema.get("description", ""),
            reader.fields(schema),
            json.dumps(reader.example(schema), indent=2, ensure_ascii=False),
        )
        for name, schema in reader.schemas.items()
    ]
    return {
        "document": document,
        "groups": list(groups.values()),
        "tag_descriptions": described,
        "schemas": schemas,
        "title": _title,
    }
