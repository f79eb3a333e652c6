"""A small catalog for issue 14's pages: an ABA patient-safety course (jointly provided,
commercially supported, REMS, MIPS, topics), an ABA course without patient safety, an ABS
self-assessment module, and an enduring material of a jointly accredited provider.

The providers are accredited by the Massachusetts state medical society, the ACCME and Joint
Accreditation. Everything goes through the real write path and the real tantivy index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.settings import Settings
from catalog.service import public_id
from tests.builders import build_catalog, make_record

PROVIDERS = {
    "bra": "Boston Regional Anesthesia Education",
    "cuts": "Surgical Learning Network",
    "team": "Interprofessional Learning Institute",
}
ACCREDITORS = {"bra": "state:MA", "cuts": "ACCME", "team": "JA"}
ONLINE = {"format": "online", "activity_type": "enduring_material"}


def aba(types: list[str], outline: list[str]) -> dict[str, Any]:
    return {
        "board": "ABA",
        "points": 6,
        "credit_types": types,
        "practice_areas": ["General Operative Anesthesia"],
        "content_outline": outline,
    }


RECORDS: dict[str, tuple[str, dict[str, Any]]] = {
    "aba-safety": ("bra", make_record(
        provider_activity_id="ABA-PS", title="Wrong-Site Block Prevention Course",
        cme_credits=6, specialties=["anesthesiology"],
        moc=[aba(["PS"], ["Special Problems or Issues in Anesthesiology", "Regional Anesthesia"])],
        accme_activity_id="200000101", providership="joint",
        joint_providers=["Massachusetts Society of Anesthesiologists", "Cambridge Pain Group"],
        commercial_support=[{"name": "Northbridge Pharmaceuticals", "kind": "monetary"},
                            {"name": "Keystone Medical Devices", "kind": "in_kind"}],
        rems=True, mips=True, topics=["controlled_substances", "risk_management"],
    )),
    "aba-plain": ("bra", make_record(
        provider_activity_id="ABA-LL", title="Airway Management Update", cme_credits=6,
        specialties=["anesthesiology"], moc=[aba(["LL"], ["Respiratory System"])],
    )),
    "abs-sa": ("cuts", make_record(
        provider_activity_id="ABS-SA", title="Hernia Repair Self-Assessment Module",
        cme_credits=1, start_date="2030-01-01", end_date="2031-12-31", location=None,
        specialties=["surgery"],
        moc=[{"board": "ABS", "points": 1, "credit_types": ["SA"],
              "practice_areas": ["General Surgery"]}],
        **ONLINE,
    )),
    "ja-module": ("team", make_record(
        provider_activity_id="JA-1", title="Team Huddles for Safer Care", cme_credits=1.5,
        start_date="2030-01-01", end_date="2031-12-31", location=None,
        moc=[{"board": "ABIM", "points": 1.5, "credit_types": ["MK"],
              "practice_areas": ["Hospital Medicine"]}],
        **ONLINE,
    )),
}  # fmt: skip


def id_of(name: str) -> str:
    provider, record = RECORDS[name]
    return public_id(provider, record["provider_activity_id"])


def build_disclosure_site(data_dir: Path) -> Settings:
    records = [(p, {k: v for k, v in r.items() if v is not None}) for p, r in RECORDS.values()]
    return build_catalog(data_dir, records, PROVIDERS, ACCREDITORS)
