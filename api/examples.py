"""Examples for every operation of the OpenAPI: one realistic activity, shown the ways the API
gives it, and an example for every path parameter.

Declared here, beside each other, rather than spread over the route decorators: the activity
is the same in the search hit, the detail, the changes feed, the export and the provider's
calls, and ``document_examples`` adds them to the document FastAPI builds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ACTIVITY_IN: dict[str, Any] = {
    "provider_activity_id": "CARD-2027-03",
    "title": "Cardiology Update 2027",
    "description": "Two days of case-based updates on heart failure, arrhythmias and lipids.",
    "activity_type": "course",
    "format": "in_person",
    "start_date": "2027-03-05",
    "end_date": "2027-03-06",
    "location": {
        "venue": "Pennsylvania Convention Center",
        "city": "Philadelphia",
        "state": "PA",
        "postal_code": "19107",
        "country": "US",
        "lat": 39.9551,
        "lng": -75.1603,
    },  # fmt: skip
    "url": "https://example.org/cardiology-2027",
    "fee": "yes",
    "cme_credits": 12.5,
    "specialties": ["internal_medicine"],
    "moc": [
        {
            "board": "ABIM",
            "points": 12.5,
            "credit_types": ["MK"],
            "practice_areas": ["Cardiovascular Disease"],
            "credit_claim_date": "2027-12-31",
        }
    ],  # fmt: skip
    "listed": True,
    "registration": "open",
}
ACTIVITY_ID = "uinkabu3h7ie5vdm"
READ_ONLY = {
    "id": ACTIVITY_ID,
    "provider": {"id": "acme", "name": "ACME Medical Education"},
    "created_at": "2026-11-02T14:05:11Z",
    "updated_at": "2026-11-20T09:30:00Z",
}
ACTIVITY = ACTIVITY_IN | READ_ONLY
HIT = {
    "id": ACTIVITY_ID, "title": ACTIVITY["title"], "provider": READ_ONLY["provider"],
    "activity_type": "course", "format": "in_person", "start_date": "2027-03-05",
    "end_date": "2027-03-06",
    "location": {"city": "Philadelphia", "state": "PA", "country": "US"},
    "cme_credits": 12.5,
    "moc": [{"board": "ABIM", "points": 12.5, "credit_types": ["MK"],
             "practice_areas": ["Cardiovascular Disease"]}],
    "registration": "open", "fee": "yes", "url": ACTIVITY["url"],
    "highlight": {"title": "<mark>Cardiology</mark> Update 2027"},
}  # fmt: skip
SEARCH = {
    "total": 1234, "page": 1, "per_page": 20, "pages": 62, "hits": [HIT],
    "facets": {"board": [{"value": "ABIM", "label": "American Board of Internal Medicine",
                          "count": 812, "selected": True}]},
}  # fmt: skip
VISIBILITY = {"visibility": {"public": True, "reasons": []}}
HIDDEN = {"visibility": {"public": False, "reasons": ["not listed by provider"]}}
IMPORT_REPORT = {
    "ok": False, "records": 3, "accepted": 2, "rejected": 1, "written": None,
    "rejections": [{
        "locator": "row 4",
        "field": 'moc.0.practice_areas.0 (column "ABIM practice areas")',
        "message": "'General Internal Medicine' is not a practice area of ABIM; did you mean "
                   "'Internal Medicine'?",
    }],
    "rejections_total": 1,
}  # fmt: skip
CSV_EXAMPLE = (
    "provider_activity_id,title,...,ABIM points,ABIM credit types,ABIM practice areas,...\r\n"
    "CARD-2027-03,Cardiology Update 2027,...,12.5,MK,Cardiovascular Disease,...\r\n"
)

# Success examples by (method, path): media type -> example.
RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/healthz"): {"application/json": {"status": "ok"}},
    ("get", "/readyz"): {
        "application/json": {"status": "ok", "catalog": "ok", "search": "tantivy"}
    },
    ("get", "/api/v1/activities"): {"application/json": SEARCH},
    ("get", "/api/v1/activities/export.csv"): {"text/csv": CSV_EXAMPLE},
    ("get", "/api/v1/activities/export.ndjson"): {
        "application/x-ndjson": json.dumps(ACTIVITY) + "\n"
    },
    ("get", "/api/v1/activities/{activity_id}"): {"application/json": ACTIVITY},
    ("get", "/api/v1/facets"): {
        "application/json": {
            "board": [{"value": "ABIM", "label": "American Board of Internal Medicine"}],
            "fee": [{"value": "free", "label": "Free"}],
        }
    },
    ("get", "/api/v1/providers/{provider_id}"): {
        "application/json": {
            "id": "acme",
            "name": "ACME Medical Education",
            "listed_activities": 42,
        }
    },  # fmt: skip
    ("get", "/api/v1/changes"): {
        "application/json": {
            "changes": [
                {"cursor": "1041", "op": "upsert", "id": ACTIVITY_ID, "activity": ACTIVITY},
                {"cursor": "1042", "op": "remove", "id": "q3kx7d2m4rtp9wza", "activity": None},
            ],
            "next": "1042",
            "has_more": False,
        }
    },
    ("put", "/api/v1/providers/{provider_id}/activities/{provider_activity_id}"): {
        "application/json": ACTIVITY | VISIBILITY
    },
    ("get", "/api/v1/providers/{provider_id}/activities"): {
        "application/json": {"activities": [ACTIVITY | VISIBILITY]}
    },
    ("post", "/api/v1/providers/{provider_id}/imports"): {"application/json": IMPORT_REPORT},
}
REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("put", "/api/v1/providers/{provider_id}/activities/{provider_activity_id}"): {
        "application/json": ACTIVITY_IN
    },
    ("post", "/api/v1/providers/{provider_id}/imports"): {
        "text/csv": CSV_EXAMPLE,
        "application/x-ndjson": json.dumps(ACTIVITY_IN) + "\n",
    },
}
PARAMETERS = {
    "activity_id": ACTIVITY_ID,
    "provider_id": "acme",
    "provider_activity_id": "CARD-2027-03",
    "partial": "false",
    "format": "csv",
    "filename": "listings.csv",
}


def document_examples(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Wrap the OpenAPI builder so every operation carries examples (idempotent: cached)."""

    def openapi() -> dict[str, Any]:
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                _examples(operation, (method, path))
        return schema

    return openapi


def _examples(operation: dict[str, Any], key: tuple[str, str]) -> None:
    for parameter in operation.get("parameters", []):
        if "examples" not in parameter.get("schema", {}) and parameter["name"] in PARAMETERS:
            parameter.setdefault("example", PARAMETERS[parameter["name"]])
    for media, example in REQUEST_BODIES.get(key, {}).items():
        content = operation.get("requestBody", {}).get("content", {})
        if media in content:
            content[media].setdefault("example", example)
    for media, example in RESPONSES.get(key, {}).items():
        success = next(
            (r for code, r in operation.get("responses", {}).items() if code.startswith("2")), None
        )
        if success is not None:
            success.setdefault("content", {}).setdefault(media, {}).setdefault("example", example)
