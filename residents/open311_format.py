"""Open311 GeoReport v2 answers as JSON or XML (the spec's element names), and its error array."""

import json
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse

# The list element and its items' element of each answer, in the XML format.
XML_NAMES = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}


def _xml_value(parent: ElementTree.Element, name: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value"}.get(name, "item")
        for item in value:
            _xml_dict(ElementTree.SubElement(child, singular), item)
    elif isinstance(value, dict):
        _xml_dict(child, value)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def _xml_dict(element: ElementTree.Element, values: dict[str, Any]) -> None:
    for name, value in values.items():
        _xml_value(element, name, value)


def to_xml(kind: str, body: Any) -> bytes:
    if kind == "definition":
        root = ElementTree.Element("service_definition")
        _xml_dict(root, body)
    else:
        outer, inner = XML_NAMES[kind]
        root = ElementTree.Element(outer)
        for item in body:
            _xml_dict(ElementTree.SubElement(root, inner), item)
    text: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>' + text


def answer(kind: str, body: Any, fmt: str, *, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(to_xml(kind, body), status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def error(status: int, description: str, fmt: str, **headers: str) -> HttpResponse:
    response = answer("errors", [{"code": status, "description": description}], fmt, status=status)
    for name, value in headers.items():
        response[name] = value
    return response
