"""The PARS elements on providership, commercial support, the REMS and MIPS programmes, state
content tags and content outlines (domain.md §3.3; ``catalog.importers.pars`` maps the rest).

No real PARS file is public and ACCME's draft leaves some shapes open, so each value is read
where the MEMS schemas put it and where the draft names it: an attribute or a child element
(``supportSource``), a keyword's ``source`` given either way.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from catalog.importers.mems import Fields, attribute_or_child, child, children, local, text
from catalog.reference import reference

YES = frozenset({"yes", "true", "1"})
NO = frozenset({"no", "false", "0"})
# REMS types of PARS (reference-data.json rems_types); the catalog's flag is the opioid one.
OPIOID_REMS = "opioid analgesic"
OTHER_REMS = frozenset({"mycophenolate"})
TAG_VALUE_NAMES = ("Topic", "Tag", "Value", "Name")


def disclosure_and_programs(fields: Fields, anywhere: dict[str, Element]) -> None:
    """Providership, joint providers, commercial support, REMS, MIPS and state content tags."""
    education = anywhere.get("healthcareeducation")
    extra = anywhere.get("xtensibleinfo")
    sponsorship = child(education, "activitySponsorship")
    fields.put("providership", text(sponsorship), "healthcareEducation/activitySponsorship")
    fields.put_list("joint_providers", _joint_providers(education), "credits/nonAccreditedProvider")
    _commercial_support(fields, anywhere.get("activitydescription"), education, extra)
    mips = text(child(extra, "IsMeritBasedIncentivePaymentSystem"))
    fields.put("mips", mips, "XtensibleInfo/IsMeritBasedIncentivePaymentSystem")
    _rems(fields, extra)
    fields.put_list("topics", _state_content_tags(extra), "XtensibleInfo/StateContentTags")


def _joint_providers(education: Element | None) -> list[tuple[str, str]]:
    """Names of the non-accredited joint providers, once each though several credits list them."""
    found: dict[str, tuple[str, str]] = {}
    for i, credits in enumerate(children(education, "credits"), start=1):
        for j, partner in enumerate(children(credits, "nonAccreditedProvider"), start=1):
            name = text(partner)
            if name is not None:
                where = f"credits[{i}]/nonAccreditedProvider[{j}]"
                found.setdefault(name.casefold(), (name, where))
    return list(found.values())


def _commercial_support(
    fields: Fields,
    description: Element | None,
    education: Element | None,
    extra: Element | None,
) -> None:
    """Supporters: monetary from commercialSupportAmount, in kind from InKindSupports."""
    supporters: list[tuple[dict[str, str], str]] = []
    for i, amount in enumerate(children(description, "commercialSupportAmount"), start=1):
        if (name := attribute_or_child(amount, "supportSource")) is not None:
            where = f"commercialSupportAmount[{i}]/@supportSource"
            supporters.append(({"name": name, "kind": "monetary"}, where))
    for i, support in enumerate(children(child(extra, "InKindSupports"), "InKindSupport"), 1):
        if (name := attribute_or_child(support, "source")) is not None:
            where = f"XtensibleInfo/InKindSupports/InKindSupport[{i}]/source"
            supporters.append(({"name": name, "kind": "in_kind"}, where))
    fields.put_list("commercial_support", supporters, "healthcareEducation/commercialSupport")
    flag = text(child(education, "commercialSupport"))
    word = (flag or "").casefold()
    where = "healthcareEducation/commercialSupport"
    if flag is not None and word not in YES | NO:
        fields.reject(
            "commercial_support", where, f"commercialSupport must be yes or no, not {flag!r}"
        )
    elif word in YES and not supporters:
        message = (
            "commercialSupport is yes but no supporter is named "
            "(commercialSupportAmount/@supportSource or InKindSupports/InKindSupport/source)"
        )
        fields.reject("commercial_support", where, message)
    elif word in NO and supporters:
        message = "commercialSupport is no but commercial supporters are named"
        fields.reject("commercial_support", where, message)


def _rems(fields: Fields, extra: Element | None) -> None:
    """The FDA Opioid Analgesic REMS flag from REMS/REMSType (other REMS are not tracked)."""
    found: list[tuple[str, str]] = []
    for i, rems in enumerate(children(extra, "REMS"), start=1):
        types = children(rems, "REMSType") or [rems]
        for j, kind in enumerate(types, start=1):
            if (value := text(kind)) is not None:
                found.append((value, f"XtensibleInfo/REMS[{i}]/{local(kind.tag)}[{j}]"))
    if not found:
        return
    opioid = next((w for v, w in found if v.casefold() == OPIOID_REMS), None)
    unknown = next(
        ((v, w) for v, w in found if v.casefold() not in OTHER_REMS | {OPIOID_REMS}), None
    )
    if opioid is not None:
        fields.put("rems", "true", opioid)
    elif unknown is not None:
        message = f"REMSType must be Opioid Analgesic or Mycophenolate, not {unknown[0]!r}"
        fields.reject("rems", unknown[1], message)
    else:
        fields.put("rems", "false", found[0][1])


def _state_content_tags(extra: Element | None) -> list[tuple[str, str]]:
    """Topics from state content tags: a tag's Topic (or Tag, Value, Name) child, or its text."""
    found: list[tuple[str, str]] = []
    for i, tag in enumerate(child(extra, "StateContentTags") or [], start=1):
        part = next((c for n in TAG_VALUE_NAMES if (c := child(tag, n)) is not None), None)
        value = text(part if part is not None else tag)
        if value is not None:
            suffix = f"/{local(part.tag)}" if part is not None else ""
            found.append((value, f"XtensibleInfo/StateContentTags/{local(tag.tag)}[{i}]{suffix}"))
    return found


def content_outlines(
    general: Element | None, extra: Element | None
) -> dict[str, list[tuple[str, str]]]:
    """Content outline areas per board code, in the order of their choice (01_, 02_ ...).

    Read from ``general/keyword`` (source ``01_ABAMCO``) and ``XtensibleInfo/ContentOutlines``;
    a source names its board by what follows the choice number (``ABAMCO`` is the ABA's).
    """
    suffixes = {
        source.partition("_")[2].casefold(): board.code
        for board in reference().boards.values()
        if board.content_outline is not None
        for source in board.content_outline.xml_sources
    }
    chosen: list[tuple[str, str, str, str]] = []  # (source, board, value, where)
    entries = [(k, f"general/keyword[{i}]") for i, k in enumerate(children(general, "keyword"), 1)]
    outlines = children(child(extra, "ContentOutlines"), "ContentOutline")
    entries += [
        (o, f"XtensibleInfo/ContentOutlines/ContentOutline[{i}]") for i, o in enumerate(outlines, 1)
    ]
    for element, where in entries:
        source = attribute_or_child(element, "source") or ""
        board = suffixes.get(source.partition("_")[2].casefold())
        value = attribute_or_child(element, "value") or text(element)
        if board is not None and value is not None:
            chosen.append((source.casefold(), board, value, where))
    by_board: dict[str, list[tuple[str, str]]] = {}
    for _, board, value, where in sorted(chosen, key=lambda c: c[0]):
        by_board.setdefault(board, []).append((value, where))
    return by_board
