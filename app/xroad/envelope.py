"""SOAP 1.1 envelopes with X-Road message protocol 4.0 headers, built and read with lxml.

Building never concatenates strings: every element is an lxml element and the bytes come from
``etree.tostring``. Reading matches elements by local name, so it does not depend on the
prefixes (or default namespaces) a producer chooses, ignores elements it does not know and
accepts text in CDATA sections. The wire format is ``contracts/xroad.md``.
"""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from app.xroad.errors import BusinessError, MalformedResponse, RegisterError, SoapFault
from app.xroad.settings import XRoadIdentifier

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_XRD = "http://x-road.eu/xsd/xroad.xsd"
NS_IDEN = "http://x-road.eu/xsd/identifiers"
NSMAP = {"SOAP-ENV": NS_SOAP, "xrd": NS_XRD, "iden": NS_IDEN}
PROTOCOL_VERSION = "4.0"
CONTENT_TYPE = "text/xml; charset=utf-8"

Element = etree._Element
Fields = Iterable[tuple[str, Any]]

_local = threading.local()


def _parser() -> etree.XMLParser:
    # Parsers are not thread-safe: one per thread. No entities, no network, comments dropped
    # (their neighbouring text is merged), CDATA read as plain text.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                                 remove_pis=True, strip_cdata=True, huge_tree=True)
        _local.parser = parser
    return parser


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


# --------------------------------------------------------------------------- reading helpers

def local_name(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def iter_elements(el: Element | None, name: str | None = None) -> Iterator[Element]:
    """Child elements of ``el`` (optionally only those with local name ``name``)."""
    if el is None:
        return
    for c in el:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        if name is None or (tag if tag[:1] != "{" else tag.rpartition("}")[2]) == name:
            yield c


def child(el: Element | None, name: str) -> Element | None:
    """The first child element with local name ``name``."""
    return next(iter_elements(el, name), None)


def children(el: Element | None, name: str) -> list[Element]:
    return list(iter_elements(el, name))


def text_of(el: Element | None) -> str | None:
    """Stripped text of a leaf element (CDATA included); None for a missing or empty element."""
    if el is None:
        return None
    value = el.text
    if len(el):
        value = (value or "") + "".join(c.tail or "" for c in el if not isinstance(c.tag, str))
    if value is None:
        return None
    value = value.strip()
    return value or None


def child_text(el: Element | None, name: str, default: str | None = None) -> str | None:
    value = text_of(child(el, name))
    return default if value is None else value


def path_children(el: Element | None, *names: str) -> list[Element]:
    """Elements reached by a path of local names: ``path_children(x, "vead", "viga")``."""
    current = [el] if el is not None else []
    for name in names:
        current = [c for parent in current for c in iter_elements(parent, name)]
    return current


def leaf_map(el: Element) -> dict[str, str | None]:
    """``{local name: text}`` of the children of ``el`` (the first occurrence of each name).

    This is the hot path of a large import: one pass, no XPath.
    """
    out: dict[str, str | None] = {}
    for c in el:
        tag = c.tag
        if not isinstance(tag, str):
            continue
        if tag[:1] == "{":
            tag = tag.rpartition("}")[2]
        if tag in out:
            continue
        if len(c):
            out[tag] = text_of(c)
            continue
        value = c.text
        if value is not None:
            value = value.strip() or None
        out[tag] = value
    return out


# --------------------------------------------------------------------------- values

def parse_date(value: str) -> dt.date:
    """``YYYY-MM-DD``; an xsd:date time-zone suffix (``Z``, ``+02:00``) or a time part is ignored."""
    text = value.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        core, rest = text, ""
    else:
        core, rest = text[:10], text[10:]
    if (len(core) != 10 or core[4] != "-" or core[7] != "-" or not core.isascii()
            or not (core[:4] + core[5:7] + core[8:]).isdigit() or (rest and rest[0] not in "Z+-T")):
        raise ValueError(f"kuupäev peab olema kujul AAAA-KK-PP, saadi {value!r}")
    try:
        return dt.date.fromisoformat(core)
    except ValueError:
        raise ValueError(f"võimatu kuupäev {value!r}") from None


def parse_datetime(value: str) -> dt.datetime:
    """ISO 8601 date-time; one without an offset is taken as UTC, a bare date as its midnight UTC."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(parse_date(text), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"kuupäev ja kellaaeg peab olema ISO 8601 kujul, saadi {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def parse_bool(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"tõeväärtus peab olema true, false, 1 või 0, saadi {value!r}")


def parse_int(value: str) -> int:
    if value.isdigit() and value.isascii():
        return int(value)
    text = value.strip()
    if not text.lstrip("+-").isdigit() or not text.isascii():
        raise ValueError(f"peab olema täisarv, saadi {value!r}")
    return int(text)


def format_value(value: Any) -> str:
    """Text of a value on the wire: dates ISO, date-times ISO with offset, booleans true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- building

def add_fields(parent: Element, fields: Fields) -> Element:
    """Append unqualified children from ``(name, value)`` pairs.

    ``None`` values are left out; a list or tuple value becomes a nested element with its own
    pairs; an ``etree.CDATA`` is kept as CDATA; anything else becomes text via ``format_value``.
    """
    sub = etree.SubElement
    for name, value in fields:
        if value is None:
            continue
        el = sub(parent, name)
        if isinstance(value, list | tuple):
            add_fields(el, value)
        elif isinstance(value, etree.CDATA):
            el.text = value
        else:
            el.text = format_value(value)
    return parent


def _identifier(parent: Element, tag: str, object_type: str, ident: XRoadIdentifier,
                service_code: str | None = None, service_version: str | None = None) -> Element:
    el = etree.SubElement(parent, _q(NS_XRD, tag), {_q(NS_IDEN, "objectType"): object_type})
    sub = etree.SubElement
    sub(el, _q(NS_IDEN, "xRoadInstance")).text = ident.instance
    sub(el, _q(NS_IDEN, "memberClass")).text = ident.member_class
    sub(el, _q(NS_IDEN, "memberCode")).text = ident.member_code
    if ident.subsystem_code:
        sub(el, _q(NS_IDEN, "subsystemCode")).text = ident.subsystem_code
    if service_code:
        sub(el, _q(NS_IDEN, "serviceCode")).text = service_code
    if service_version:
        sub(el, _q(NS_IDEN, "serviceVersion")).text = service_version
    return el


def build_header(*, client: XRoadIdentifier, service: XRoadIdentifier, service_code: str,
                 service_version: str | None, user_id: str, message_id: str) -> Element:
    header = etree.Element(_q(NS_SOAP, "Header"), nsmap=NSMAP)
    object_type = "SUBSYSTEM" if client.subsystem_code else "MEMBER"
    _identifier(header, "client", object_type, client)
    _identifier(header, "service", "SERVICE", service, service_code, service_version)
    sub = etree.SubElement
    sub(header, _q(NS_XRD, "id")).text = message_id
    sub(header, _q(NS_XRD, "userId")).text = user_id
    sub(header, _q(NS_XRD, "protocolVersion")).text = PROTOCOL_VERSION
    return header


def envelope(header: Element | None = None, nsmap: dict[str | None, str] | None = None,
             soap_prefix: str = "SOAP-ENV") -> tuple[Element, Element]:
    """A new Envelope (with a copy of ``header``) and its empty Body."""
    env = etree.Element(_q(NS_SOAP, "Envelope"), nsmap=nsmap or {**NSMAP, soap_prefix: NS_SOAP})
    if header is not None:
        env.append(header)
    body = etree.SubElement(env, _q(NS_SOAP, "Body"))
    return env, body


def to_bytes(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def build_request(*, client: XRoadIdentifier, service: XRoadIdentifier, service_code: str,
                  namespace: str, fields: Fields, user_id: str, service_version: str | None = "v1",
                  message_id: str | None = None) -> tuple[bytes, str]:
    """The request envelope as bytes, and its message id (a new UUID unless given)."""
    message_id = message_id or str(uuid.uuid4())
    header = build_header(client=client, service=service, service_code=service_code,
                          service_version=service_version, user_id=user_id, message_id=message_id)
    env, body = envelope(header)
    wrapper = etree.SubElement(body, _q(namespace, service_code), nsmap={"ns": namespace})
    add_fields(wrapper, fields)
    return to_bytes(env), message_id


def build_fault(faultcode: str, faultstring: str, detail: str | None = None) -> bytes:
    env, body = envelope()
    fault = etree.SubElement(body, _q(NS_SOAP, "Fault"))
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = faultstring
    if detail:
        etree.SubElement(fault, "detail").text = detail
    return to_bytes(env)


def add_business_errors(wrapper: Element, errors: Iterable[RegisterError]) -> Element:
    errors = list(errors)
    etree.SubElement(wrapper, "vigadearv").text = str(len(errors))
    if errors:
        vead = etree.SubElement(wrapper, "vead")
        for err in errors:
            add_fields(etree.SubElement(vead, "viga"),
                       [("element", err.element), ("id", err.id), ("teade", err.message)])
    return wrapper


# --------------------------------------------------------------------------- reading

def parse_xml(content: bytes, *, service: str = "") -> Element:
    """The root element; a body that is not well-formed XML is a :class:`MalformedResponse`."""
    if not content or not content.strip():
        raise MalformedResponse("vastus on tühi", service=service)
    try:
        return etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"vastus ei ole korrektne XML ({exc})", service=service) from None


def soap_body(root: Element, *, service: str = "") -> Element:
    if local_name(root) != "Envelope":
        raise MalformedResponse(f"vastus ei ole SOAP Envelope (juurelement {local_name(root)!r})",
                                service=service)
    body = child(root, "Body")
    if body is None:
        raise MalformedResponse("SOAP Envelope ilma Body'ta", service=service)
    return body


def read_fault(fault: Element, *, service: str = "") -> SoapFault:
    code = child_text(fault, "faultcode")
    string = child_text(fault, "faultstring")
    if code is None:  # SOAP 1.2 shape
        code = text_of(next(iter(path_children(fault, "Code", "Value")), None))
        string = text_of(next(iter(path_children(fault, "Reason", "Text")), None))
    detail_el = child(fault, "detail")
    if detail_el is None:
        detail_el = child(fault, "Detail")
    detail = None
    if detail_el is not None:
        detail = " ".join(t.strip() for t in detail_el.itertext() if t.strip()) or None
    return SoapFault(code or "?", string or "", detail, service=service)


def business_errors(payload: Element) -> list[RegisterError]:
    """``vead/viga`` entries; a ``vigadearv`` above 0 without entries gives one generic error."""
    errors = [
        RegisterError(child_text(v, "element"), child_text(v, "id"),
                      child_text(v, "teade") or "register ei andnud veateadet")
        for v in path_children(payload, "vead", "viga")
    ]
    count_text = child_text(payload, "vigadearv")
    if not errors and count_text is not None:
        try:
            count = parse_int(count_text)
        except ValueError:
            count = 1
        if count > 0:
            errors.append(RegisterError(None, None, f"register teatas {count} veast ilma kirjelduseta"))
    return errors


@dataclass(slots=True)
class SoapMessage:
    """A parsed envelope: header (may be None), the body wrapper element and header fields."""

    header: Element | None
    wrapper: Element
    service_code: str | None = None
    service_version: str | None = None
    message_id: str | None = None
    user_id: str | None = None
    protocol_version: str | None = None
    client: XRoadIdentifier | None = None
    service: XRoadIdentifier | None = None


def _read_identifier(el: Element | None) -> XRoadIdentifier | None:
    if el is None:
        return None
    values = leaf_map(el)
    if not (values.get("xRoadInstance") and values.get("memberClass") and values.get("memberCode")):
        return None
    return XRoadIdentifier(values["xRoadInstance"], values["memberClass"], values["memberCode"],
                           values.get("subsystemCode"))


def read_header(header: Element | None) -> dict[str, Any]:
    service_el = child(header, "service")
    service_values = leaf_map(service_el) if service_el is not None else {}
    return {
        "client": _read_identifier(child(header, "client")),
        "service": _read_identifier(service_el),
        "service_code": service_values.get("serviceCode"),
        "service_version": service_values.get("serviceVersion"),
        "message_id": child_text(header, "id"),
        "user_id": child_text(header, "userId"),
        "protocol_version": child_text(header, "protocolVersion"),
    }


def parse_response(content: bytes, service_code: str, *, service: str = "") -> SoapMessage:
    """Read a response to ``service_code``.

    Raises :class:`MalformedResponse` (not XML, not an envelope, no wrapper), :class:`SoapFault`
    and :class:`BusinessError` (``vigadearv`` > 0 or ``vead/viga`` present).
    """
    root = parse_xml(content, service=service)
    body = soap_body(root, service=service)
    elements = list(iter_elements(body))
    for el in elements:
        if local_name(el) == "Fault":
            raise read_fault(el, service=service)
    expected = f"{service_code}Response"
    wrapper = next((el for el in elements if local_name(el) == expected), None)
    if wrapper is None and len(elements) == 1:
        wrapper = elements[0]  # another wrapper name (e.g. <service>Vastus): the only child
    if wrapper is None:
        raise MalformedResponse(f"vastuses puudub element {expected}", service=service)
    # Older document/literal X-Road styles wrap the data as <request/><response/>.
    names = {local_name(el) for el in iter_elements(wrapper)}
    if "response" in names and names <= {"request", "response"}:
        wrapper = child(wrapper, "response")
    errors = business_errors(wrapper)
    if errors:
        raise BusinessError(errors, service=service)
    header = child(root, "Header")
    return SoapMessage(header=header, wrapper=wrapper, **read_header(header))


def parse_request(content: bytes) -> SoapMessage:
    """Read a request (used by the simulators). The service code comes from the header, else from
    the body wrapper's local name."""
    root = parse_xml(content)
    body = soap_body(root)
    wrapper = next(iter_elements(body), None)
    if wrapper is None:
        raise MalformedResponse("päringu Body on tühi")
    header = child(root, "Header")
    fields = read_header(header)
    if not fields["service_code"]:
        fields["service_code"] = local_name(wrapper)
    return SoapMessage(header=header, wrapper=wrapper, **fields)
