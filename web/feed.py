"""Atom feed of a search (RFC 4287), built with ElementTree so every value is escaped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from catalog.reference import Reference
from indexer.documents import Hit
from web.pages import moc_amount

ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(
    hits: list[Hit],
    changed: Mapping[str, datetime],
    *,
    self_url: str,
    page_url: str,
    base: str,
    ref: Reference,
) -> bytes:
    """A feed whose entries are the hits, each linking to its activity page.

    An entry's <updated> is when its activity last changed (``changed``, by id; a hit whose
    activity is gone by now is left out), the feed's the latest of them (RFC 4287 4.2.15).
    """
    hits = [hit for hit in hits if hit["id"] in changed]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", "MOC Catalog: activities matching your search")
    _text(feed, "id", self_url)
    latest = max((changed[hit["id"]] for hit in hits), default=datetime.now(UTC))
    _text(feed, "updated", _instant(latest))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=page_url, type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "MOC Catalog")
    for hit in hits:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base.rstrip('/')}/activities/{hit['id']}"
        _text(entry, "title", hit["title"])
        _text(entry, "id", url)
        _text(entry, "updated", _instant(changed[hit["id"]]))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url, type="text/html")
        boards = ", ".join(f"{m['board']} {moc_amount(ref, m)}" for m in hit["moc"])
        location = hit["location"]
        place = location["city"] if location else "Online"
        dates = f"{hit['start_date']} to {hit['end_date']}"
        summary = f"{hit['provider']['name']} · {dates} · {place} · {boards}"
        _text(entry, "summary", summary)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text
