"""One PARS ``MedicalEducationMetrics`` element (MEMS plus ACCME extensions) as a raw activity.

Elements are matched by local name without regard to case: namespaces vary between files,
and ACCME's draft mapping spells some names differently from the MedBiquitous schemas
(``city`` / ``City``, ``Lom`` / ``lom``). Where an element sits also varies
(``healthcareMetadata`` inside ``lom`` or beside it), so the anchors ``general``,
``healthcareEducation`` and ``XtensibleInfo`` are found anywhere inside the activity.

Values are passed on as text; ``catalog.rules`` checks them, and ``Record.columns`` names the
element each field came from so a problem points into the file.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from catalog.errors import FieldError
from catalog.importers.base import Record
from catalog.importers.mems import (
    Fields,
    child,
    children,
    first,
    first_by_name,
    local,
    name_of,
    text,
)
from catalog.importers.pars_disclosure import content_outlines, disclosure_and_programs
from catalog.reference import Board, reference

AMA_CREDIT = "ama pra category 1"
ACTIONS = ("add", "update", "delete")
REMOTE_DELIVERY = frozenset({"livestreamed", "online", "print/other", "print", "other"})
# ACCME's draft gives practice areas once, in targetAudience/specialty; should a registration
# carry its own, these likely spellings are read and take precedence.
OWN_AREA_NAMES = ("PracticeArea", "MOCPracticeArea", "specialty", "MOCSpecialty")


def activity_record(locator: str, activity: Element) -> Record:
    """Map one ``MedicalEducationMetrics`` element to a record: an upsert or a deletion."""
    anywhere = first_by_name(activity)
    general = anywhere.get("general")
    extra = anywhere.get("xtensibleinfo")
    key, key_where = _identifier(general, "Provider Activity ID")
    action = text(child(extra, "activityRecordAction"))
    if action is not None and action.casefold() not in ACTIONS:
        message = f"activityRecordAction must be Add, Update or Delete, not {action!r}"
        return Record(locator, problem=FieldError("", message))
    if action is not None and action.casefold() == "delete":
        data = {"provider_activity_id": key}
        columns = {"provider_activity_id": key_where}
        return Record(locator, data, columns=columns, column_kind="element", delete=True)
    fields = Fields()
    fields.put("provider_activity_id", key, key_where)
    _general(fields, general)
    _education(fields, anywhere.get("healthcareeducation"))
    _extensions(fields, extra)
    disclosure_and_programs(fields, anywhere)
    _moc(fields, anywhere.get("targetaudience"), extra, content_outlines(general, extra))
    if fields.problems:
        # Its columns still tell where each field is, should the XML break inside it.
        return Record(
            locator, problem=fields.problems[0], columns=fields.columns, column_kind="element"
        )
    return Record(locator, fields.data, columns=fields.columns, column_kind="element")


def _identifier(general: Element | None, catalog: str) -> tuple[str | None, str]:
    """The entry of the first ``identifier`` whose ``catalog`` is the one asked for."""
    for i, identifier in enumerate(children(general, "identifier"), start=1):
        if (text(child(identifier, "catalog")) or "").casefold() == catalog.casefold():
            return text(child(identifier, "entry")), f"general/identifier[{i}]/entry"
    return None, f"general/identifier[catalog={catalog}]/entry"


def _general(fields: Fields, general: Element | None) -> None:
    for path, name in (("title", "title"), ("description", "description")):
        element = child(general, name)
        fields.put(path, text(element), f"general/{name_of(element, name)}")
    fields.put("url", *_identifier(general, "URL"))
    fields.put("accme_activity_id", *_identifier(general, "ACCME Activity ID"))


def _education(fields: Fields, education: Element | None) -> None:
    for path, name in (
        ("activity_type", "activityFormat"),
        ("start_date", "startDateTime"),
        ("end_date", "endDateTime"),
    ):
        element = child(education, name)
        fields.put(path, text(element), f"healthcareEducation/{name_of(element, name)}")
    credits, where = _ama_credits(education)
    fields.put("cme_credits", credits, where)
    _location(fields, child(education, "activityLocation"))


def _ama_credits(education: Element | None) -> tuple[str | None, str]:
    """The number of AMA PRA Category 1 credits; other certifications are not CME credits."""
    for i, credits in enumerate(children(education, "credits"), start=1):
        if (text(child(credits, "activityCertification")) or "").casefold().startswith(AMA_CREDIT):
            return text(child(credits, "numberOfCredits")), f"credits[{i}]/numberOfCredits"
    return None, "credits[activityCertification=AMA PRA Category 1]/numberOfCredits"


LOCATION_PARTS = {
    "venue": ("Organization", "building"),
    "city": ("City",),
    "state": ("StateOrProvince",),
    "postal_code": ("PostalCode",),
}


def _location(fields: Fields, place: Element | None) -> None:
    location: dict[str, str] = {}
    for path, names in LOCATION_PARTS.items():
        element = first(*(child(place, name) for name in names))
        fields.columns[f"location.{path}"] = f"activityLocation/{name_of(element, names[0])}"
        if (value := text(element)) is not None:
            location[path] = value
    country = child(place, "Country")
    # MEMS nests the code (CountryCode, else CountryName); ACCME's draft puts it in Country.
    code = first(child(country, "CountryCode"), child(country, "CountryName"))
    where = f"activityLocation/{name_of(country, 'Country')}"
    fields.columns["location.country"] = where + (f"/{local(code.tag)}" if code is not None else "")
    if (value := text(first(code, country))) is not None:
        location["country"] = value
    fields.put("location", location or None, "activityLocation")


def _extensions(fields: Fields, extra: Element | None) -> None:
    for path, name in (
        ("listed", "ForPublicList"),
        ("fee", "FeeForParticipation"),
        ("registration", "ActivityRegistration"),
    ):
        value = text(child(extra, name))
        # PARS prints "No, it’s free" with a typographic apostrophe as often as without.
        fields.put(path, value.replace("\u2019", "'") if value else None, f"XtensibleInfo/{name}")
    fields.put("format", _format(extra), "XtensibleInfo/DeliveryMethods")


def _format(extra: Element | None) -> str | None:
    """Fold the delivery methods into a catalog format: in-person plus any remote is hybrid."""
    methods = [text(m) for m in children(child(extra, "DeliveryMethods"), "DeliveryMethod")]
    kinds: set[str] = set()
    for method in filter(None, methods):
        key = method.casefold().replace("-", "").replace(" ", "")
        if key == "inperson":
            kinds.add("in_person")
        elif key in REMOTE_DELIVERY:
            kinds.add("online")
        else:
            return method  # passed on as given, so the rules name the bad value
    if not kinds:
        return None
    return "hybrid" if len(kinds) == 2 else kinds.pop()


def _moc(
    fields: Fields,
    audience: Element | None,
    extra: Element | None,
    outlines: dict[str, list[tuple[str, str]]],
) -> None:
    """Map the MOC registrations; shared practice areas go to the boards they belong to, and
    content outline areas to the registration of their board."""
    registrations = children(child(extra, "MOCRegistrations"), "MOCRegistration")
    shared = [
        (value, f"targetAudience/specialty[{i}]")
        for i, element in enumerate(children(audience, "specialty"), start=1)
        if (value := text(element)) is not None
    ]
    boards = [_board(text(child(r, "boardName"))) for r in registrations]
    items = [
        _registration(fields, i, element, _areas_for(boards[i], boards, shared))
        for i, element in enumerate(registrations)
    ]
    for i, board in enumerate(boards):
        if board is not None and board.code in outlines:
            at = f"moc.{i}.content_outline"
            areas = outlines.pop(board.code)
            items[i]["content_outline"] = [value for value, _ in areas]
            fields.columns[at] = areas[0][1]
            fields.columns.update({f"{at}.{j}": where for j, (_, where) in enumerate(areas)})
    for code, areas in outlines.items():
        message = f"content outline areas are given for {code} but it has no MOCRegistration"
        fields.reject("moc", areas[0][1], message)
    fields.put("moc", items, "XtensibleInfo/MOCRegistrations")


def _board(name: str | None) -> Board | None:
    wanted = (name or "").casefold()
    boards = reference().boards.values()
    return next(
        (b for b in boards if wanted in (b.code.casefold(), b.display_code.casefold())), None
    )


def _areas_for(
    board: Board | None, boards: list[Board | None], shared: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The shared practice areas of this board, plus those of no registered board (to report)."""
    if board is None:
        return shared
    known = [b for b in boards if b is not None]
    return [
        (value, where)
        for value, where in shared
        if board.find_practice_area(value) or not any(b.find_practice_area(value) for b in known)
    ]


def _registration(
    fields: Fields, i: int, element: Element, shared: list[tuple[str, str]]
) -> dict[str, Any]:
    at, where = f"moc.{i}", f"MOCRegistration[{i + 1}]"
    item: dict[str, Any] = {}
    fields.columns[at] = where
    for path, name in (
        ("board", "boardName"),
        ("points", "mocPoints"),
        ("credit_claim_date", "CreditClaimDate"),
    ):
        found = child(element, name)
        fields.columns[f"{at}.{path}"] = f"{where}/{name_of(found, name)}"
        if (value := text(found)) is not None:
            item[path] = value
    types = _listed(children(element, "MOCCreditType"), where)
    _list(fields, item, f"{at}.credit_types", types, f"{where}/MOCCreditType")
    own = next((got for name in OWN_AREA_NAMES if (got := children(element, name))), [])
    areas = _listed(own, where) or shared
    _list(fields, item, f"{at}.practice_areas", areas, "targetAudience/specialty")
    return item


def _listed(elements: list[Element], where: str) -> list[tuple[str, str]]:
    """Each element's text (empty ones kept, so indexes match the file) and its path."""
    return [(text(e) or "", f"{where}/{local(e.tag)}[{j}]") for j, e in enumerate(elements, 1)]


def _list(
    fields: Fields, item: dict[str, Any], at: str, values: list[tuple[str, str]], where: str
) -> None:
    fields.columns[at] = where
    if values:
        item[at.rpartition(".")[2]] = [value for value, _ in values]
    for j, (_, found) in enumerate(values):
        fields.columns[f"{at}.{j}"] = found
