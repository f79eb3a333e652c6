"""Build catalog/data/reference.json from the shared reference-data.json.

Run once whenever the shared file changes:

    python scripts/build_reference.py ../shared/reference-data.json

Only what the code needs is kept, so the package data stays small and its shape is ours.
The shared file says what exists (boards, credit types and their kinds, practice areas,
activity types); the board rules, statements, content outline and topics the catalog enforces
or shows live in catalog/data/research.json with their sources, maintained by hand, so that
an unconfirmed default in the shared file (points equal to credits for every board, say)
never becomes a rule by being copied.
"""

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "catalog" / "data" / "reference.json"

# ABPMR registers only activities that start on or after this date (domain.md, boards table).
REGISTRATIONS_FROM = {"ABPMR": "2025-01-01"}


def board(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": b["code"],
        "display_code": b.get("display_code", b["code"]),
        "name": b["name"],
        "program": b["program"],
        "active": b["collaboration"]["active"],
        "since": b["collaboration"].get("since"),
        "registrations_from": REGISTRATIONS_FROM.get(b["code"]),
        "credit_types": [
            {"code": c["code"], "label": c["label"], "kind": c["kind"]} for c in b["credit_types"]
        ],
        "practice_areas": b["practice_areas"],
    }


def activity_type(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": a["code"],
        "label": a["label"],
        "pars_legacy_code": a.get("pars_legacy_code"),
        # The current PARS name, as the XML batch's activityFormat may spell the type.
        "pars_name": a.get("pars_current_name"),
        "live": a["nature"]["live"],
        "enduring": a["nature"]["enduring"],
        "max_span_months": a.get("max_span_months"),
        "maps_to": a.get("maps_to"),
    }


def build(src: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": "shared/reference-data.json (" + src["meta"]["sources_dated"] + ")",
        "boards": [board(b) for b in src["boards"]],
        "credit_type_kinds": src["credit_type_kinds"],
        "activity_types": [activity_type(a) for a in src["activity_types"]],
        "formats": src["catalog_formats"]["values"],
        "fee_options": src["fee_options"]["values"],
        "registration_options": src["registration_options"]["values"],
        "specialties": src["specialties"]["values"],
        "us_states": src["us_states"],
        "countries": [
            {"alpha2": c["alpha2"], "alpha3": c["alpha3"], "name": c["name"]}
            for c in src["countries"]["values"]
        ],
        "credit_increment": src["credit_rules"]["increment"]["value"],
    }


def main() -> None:
    src = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(build(src), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
