"""Batch imports (JSONL and CSV) through catalog.imports on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from catalog import migrate
from catalog.db import make_engine, session_scope
from catalog.errors import ImportFileError, InvalidActivity
from catalog.importers import Record, read_records
from catalog.imports import (
    MAX_SHOWN,
    ImportLimits,
    ImportReport,
    check_import,
    import_records,
    run_import,
    write_checked,
)
from catalog.models import Activity, OutboxEntry
from catalog.providers import add_provider
from catalog.rules import parse_activity
from catalog.service import delete_activity, get_provider_activity, upsert_activity
from tests.builders import make_record


def jsonl(*records: Any) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records
    )


def run(
    session: Session, provider: str, data: bytes, fmt: str, partial: bool = False
) -> ImportReport:
    records = read_records(io.BytesIO(data), fmt)
    return import_records(session, provider_id=provider, records=records, partial=partial)


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def lines(report: ImportReport) -> list[str]:
    return [str(r) for r in report.rejections]


MIXED = jsonl(
    make_record(provider_activity_id="A1"),
    make_record(provider_activity_id="A2", cme_credits=1.3),
    make_record(provider_activity_id="A3"),
    b'{"provider_activity_id": "A4", "title": ',
)


class TestJsonlImport:
    def test_import_valid_file_writes_all(self, session: Session, provider: str) -> None:
        data = jsonl(*(make_record(provider_activity_id=f"A{i}") for i in range(5)))
        report = run(session, provider, data, "jsonl")
        assert report.ok
        assert report.accepted == 5
        assert report.written.created == 5
        assert count(session, Activity) == 5
        assert count(session, OutboxEntry) == 5

    def test_import_mixed_file_writes_nothing(self, session: Session, provider: str) -> None:
        report = run(session, provider, MIXED, "jsonl")
        assert lines(report) == [
            "line 2: cme_credits: must be a multiple of 0.25",
            "line 4: invalid JSON: Expecting value (column 41)",
        ]
        assert (report.records, report.accepted, report.rejected_records) == (4, 2, 2)
        assert count(session, Activity) == 0
        assert count(session, OutboxEntry) == 0

    def test_import_mixed_file_partial_writes_valid_ones(
        self, session: Session, provider: str
    ) -> None:
        report = run(session, provider, MIXED, "jsonl", partial=True)
        assert report.written.created == 2
        stored = session.execute(
            select(Activity.provider_activity_id).order_by(Activity.provider_activity_id)
        )
        assert [r[0] for r in stored] == ["A1", "A3"]
        assert count(session, OutboxEntry) == 2

    def test_import_same_file_twice_changes_nothing(self, session: Session, provider: str) -> None:
        data = jsonl(*(make_record(provider_activity_id=f"A{i}") for i in range(3)))
        run(session, provider, data, "jsonl")
        before = get_provider_activity(session, provider_id=provider, provider_activity_id="A1")
        report = run(session, provider, data, "jsonl")
        after = get_provider_activity(session, provider_id=provider, provider_activity_id="A1")
        assert (report.written.created, report.written.updated, report.written.unchanged) == (
            0,
            0,
            3,
        )
        assert count(session, OutboxEntry) == 3
        assert after == before

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            pytest.param(
                b"not json", "line 1: invalid JSON: Expecting value (column 1)", id="garbage"
            ),
            pytest.param(b"\xff\xfe{}", "line 1: not valid UTF-8 (byte 1)", id="bad-utf8"),
            pytest.param(b"[1, 2]", "line 1: an activity must be a JSON object", id="array"),
            pytest.param(b"[" * 100_000, "line 1: invalid JSON: nested too deeply", id="deep"),
        ],
    )
    def test_import_malformed_line_reported_with_line_number(
        self, session: Session, provider: str, line: bytes, expected: str
    ) -> None:
        report = run(session, provider, line + b"\n", "jsonl")
        assert lines(report) == [expected]

    def test_import_duplicate_id_in_file_rejected(self, session: Session, provider: str) -> None:
        report = run(session, provider, jsonl(make_record(), b"", make_record()), "jsonl")
        assert lines(report) == [
            "line 3: provider_activity_id: appears more than once in this file (first at line 1)"
        ]

    def test_import_blank_lines_skipped(self, session: Session, provider: str) -> None:
        report = run(session, provider, b"\n\n" + jsonl(make_record()) + b"   \n", "jsonl")
        assert report.ok
        assert report.records == 1


CSV_HEADER = (
    "provider_activity_id,title,activity_type,format,start_date,end_date,city,state,postal_code,"
    "country,url,fee,cme_credits,specialties,listed,registration,"
    "ABIM points,ABIM credit types,ABIM practice areas,ABP points,ABP credit types,"
    "ABP practice areas\n"
)


class TestCsvImport:
    def test_import_csv_rows_become_activities(self, session: Session, provider: str) -> None:
        data = CSV_HEADER + (
            "C1,Heart Failure Review,C,in_person,2030-05-01,2030-05-02,Boston,MA,02115,US,"
            "https://example.org/c1,Yes,8,internal_medicine; pediatrics,yes,Open to all,"
            '8,MK;Patient Safety,"Cardiovascular Disease; Endocrinology, Diabetes, and Metabolism",'
            "8,LLSA,Pediatric Cardiology\n"
            "C2,Online Module,EM,online,2030-01-01,2031-01-01,,,,,"
            'https://example.org/c2,"No, it\'s free",1.25,,no,Limited,1.25,MK,Nephrology,,,\n'
        )
        report = run(session, provider, data.encode(), "csv")
        assert report.ok, lines(report)
        c1 = get_provider_activity(session, provider_id=provider, provider_activity_id="C1")
        assert c1.activity_type == "course"
        assert c1.specialties == ["internal_medicine", "pediatrics"]
        assert [(m.board, m.points, m.credit_types) for m in c1.moc] == [
            ("ABIM", 8.0, ["MK", "PS"]),
            ("ABP", 8.0, ["LLSA"]),
        ]
        assert c1.moc[0].practice_areas == [
            "Cardiovascular Disease",
            "Endocrinology, Diabetes, and Metabolism",
        ]
        assert c1.location is not None
        assert c1.location.lat is not None
        c2 = get_provider_activity(session, provider_id=provider, provider_activity_id="C2")
        assert (c2.listed, c2.registration, c2.fee, c2.location) == (False, "limited", "free", None)
        assert c2.activity_type == "enduring_material"

    def test_import_csv_errors_name_row_and_column(self, session: Session, provider: str) -> None:
        data = CSV_HEADER + (
            "C1,Heart Failure Review,C,in_person,2030-05-01,2030-04-30,Boston,MA,02115,US,"
            "https://example.org/c1,Yes,8,,yes,open,8,MK;XX,Cardiovascular Disease,,,\n"
        )
        report = run(session, provider, data.encode(), "csv")
        assert lines(report) == [
            'row 2: end_date (column "end_date"): must be on or after start_date (2030-05-01)',
            'row 2: moc.0.credit_types.1 (column "ABIM credit types"): '
            "'XX' is not a credit type of ABIM",
        ]
        assert count(session, Activity) == 0

    def test_import_csv_new_columns(self, session: Session, provider: str) -> None:
        """Issue 14's fields as CSV columns; lists are ";"-separated."""
        header = (
            "provider_activity_id,title,activity_type,format,start_date,end_date,url,fee,"
            "cme_credits,accme_activity_id,providership,joint_providers,"
            "commercial_support_monetary,commercial support in-kind,rems,mips,topics,"
            "ABA points,ABA credit types,ABA practice areas,ABA content outline\n"
        )
        row = (
            "N1,Opioid Safety,EM,online,2030-01-01,2030-12-31,https://example.org/n1,free,2,"
            "200000042,Joint,Boston Medical Society; Cambridge Pain Group,"
            "Northbridge Pharmaceuticals,Keystone Medical Devices,yes,no,"
            "opioid prescribing; Pain management,2,PS,Pain Medicine,Pharmacology; I.B.2\n"
        )
        report = run(session, provider, (header + row).encode(), "csv")
        assert report.ok, lines(report)
        stored = get_provider_activity(session, provider_id=provider, provider_activity_id="N1")
        assert stored.model_dump(
            include={
                "accme_activity_id", "providership", "joint_providers", "commercial_support",
                "rems", "mips", "topics",
            }
        ) == {
            "accme_activity_id": "200000042",
            "providership": "joint",
            "joint_providers": ["Boston Medical Society", "Cambridge Pain Group"],
            "commercial_support": [
                {"name": "Northbridge Pharmaceuticals", "kind": "monetary"},
                {"name": "Keystone Medical Devices", "kind": "in_kind"},
            ],
            "rems": True,
            "mips": False,
            "topics": ["controlled_substances", "pain_management"],
        }  # fmt: skip
        assert stored.moc[0].credit_types == ["LL", "PS"]
        assert stored.moc[0].content_outline == ["Pharmacology", "Regional Anesthesia"]

    def test_import_csv_new_column_errors_name_the_column(
        self, session: Session, provider: str
    ) -> None:
        header = (
            "provider_activity_id,title,activity_type,format,start_date,end_date,url,fee,"
            "cme_credits,commercial_support_in_kind,topics,ABA points,ABA credit types,"
            "ABA practice areas\n"
        )
        row = (
            "N2,Opioid Safety,EM,online,2030-01-01,2030-12-31,https://example.org/n2,free,2,"
            ",golf,1.5,LL,Pain Medicine\n"
        )
        report = run(session, provider, (header + row).encode(), "csv")
        assert lines(report) == [
            "row 2: topics.0 (column \"topics\"): unknown topic 'golf'",
            'row 2: moc.0.points (column "ABA points"): must equal cme_credits (2) for ABA',
            'row 2: moc.0.content_outline (column "ABA content outline"): must list 1-2 areas of '
            "the ABA MOCA content outline for a new ABA registration",
        ]

    def test_import_csv_missing_column_is_named(self, session: Session, provider: str) -> None:
        data = (
            "provider_activity_id,title,activity_type,format,start_date,end_date,url,fee,"
            "cme_credits,ABP points,ABP credit types\n"
            "C1,Asthma Review,EM,online,2030-01-01,2030-06-30,https://example.org/c1,free,2,2,"
            "LLSA\n"
        )
        report = run(session, provider, data.encode(), "csv")
        assert lines(report) == [
            'row 2: moc.0.practice_areas (column "ABP practice areas"): is required'
        ]

    def test_import_csv_suggests_the_practice_area_and_credit_type_meant(
        self, session: Session, provider: str
    ) -> None:
        data = CSV_HEADER + (
            "C1,Heart Failure Review,C,in_person,2030-05-01,2030-05-02,Boston,MA,02115,US,"
            "https://example.org/c1,Yes,8,,yes,open,8,Medical Knowlege,General Internal Medicine,"
            ",,\n"
        )
        report = run(session, provider, data.encode(), "csv")
        assert lines(report) == [
            'row 2: moc.0.credit_types.0 (column "ABIM credit types"): '
            "'Medical Knowlege' is not a credit type of ABIM; did you mean 'MK' "
            "(Medical Knowledge)?",
            'row 2: moc.0.practice_areas.0 (column "ABIM practice areas"): '
            "'General Internal Medicine' is not a practice area of ABIM; "
            "did you mean 'Internal Medicine'?",
        ]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param(b"", "the file is empty", id="empty"),
            pytest.param(b"title,colour\n", "unknown column(s): 'colour'", id="unknown-column"),
            pytest.param(b"title\nx\n", "no provider_activity_id column", id="no-id"),
            pytest.param(b"provider_activity_id,Title,title\n", "appears twice", id="twice"),
            pytest.param(b"provider_activity_id\n\xff\n", "not valid UTF-8", id="bad-utf8"),
        ],
    )
    def test_import_csv_unreadable_file_raises(
        self, session: Session, provider: str, data: bytes, message: str
    ) -> None:
        with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
            run(session, provider, data, "csv")
        assert count(session, Activity) == 0


def test_import_csv_lone_surrogate_names_the_row_and_column(
    session: Session, provider: str
) -> None:
    """ "\ud800" as a lenient encoder writes it (bytes ED A0 80): the file was refused whole,
    "not valid UTF-8 (byte 35)", without the row or the column."""
    data = CSV_HEADER.encode() + (
        "C1,Heart \ud800 Review,C,in_person,2030-05-01,2030-05-02,Boston,MA,02115,US,"
        "https://example.org/c1,yes,8,,,,6.5,MK,Cardiovascular Disease,,,\n"
    ).encode("utf-8", "surrogatepass")
    report = run(session, provider, data, "csv")
    assert lines(report) == [
        'row 2: title (column "title"): must be valid Unicode text: it holds \\ud800, a lone '
        "UTF-16 surrogate (the text was encoded or escaped wrongly)"
    ]


def test_import_csv_header_of_many_unknown_columns_gets_a_short_error(
    session: Session, provider: str
) -> None:
    """A header of a million made-up columns answered a 5 MB error naming each one."""
    header = "provider_activity_id," + ",".join(f"colour{i}" for i in range(1_000_000))
    with pytest.raises(ImportFileError) as caught:
        run(session, provider, header.encode() + b"\n", "csv")
    message = caught.value.message
    assert message.startswith("unknown column(s): 'colour0', 'colour1', ")
    assert message.endswith("'colour9' and 999,990 more; see the README for the CSV columns")


def test_import_jsonl_cannot_ask_for_a_deletion(session: Session, provider: str) -> None:
    """Only the PARS XML reader can mark a record as a deletion; a data key cannot."""
    run(session, provider, jsonl(make_record()), "jsonl")
    report = run(
        session, provider, jsonl({"provider_activity_id": "CARD-1", "_delete": True}), "jsonl"
    )
    assert not report.ok
    assert count(session, Activity) == 1


PROBLEMS_OF_EMPTY = 9  # what ``{}`` lacks: id, title, type, format, dates, credits, url, fee


class TestReportAndLimits:
    def test_import_report_lists_the_first_problems_and_counts_all(
        self, session: Session, provider: str
    ) -> None:
        """300,000 lines of {} answered a 204 MB report; it now lists the first MAX_SHOWN."""
        report = run(session, provider, jsonl(*[{}] * 1500), "jsonl")
        assert (report.records, report.rejected_records) == (1500, 1500)
        assert report.rejections_total == 1500 * PROBLEMS_OF_EMPTY
        assert len(report.rejections) == MAX_SHOWN == 1000
        assert report.rejections[-1].locator == f"line {1000 // PROBLEMS_OF_EMPTY + 1}"
        assert count(session, Activity) == 0

    def test_import_problem_quoting_a_huge_value_is_cut(
        self, session: Session, provider: str
    ) -> None:
        report = run(session, provider, jsonl(make_record(**{"x" * 100_000: 1})), "jsonl")
        (rejection,) = report.rejections
        assert (len(rejection.field), rejection.field[-1], rejection.message) == (
            500, "…", "unknown field"
        )  # fmt: skip

    def test_import_past_the_record_limit_raises_naming_it(
        self, session: Session, provider: str
    ) -> None:
        records = read_records(io.BytesIO(jsonl(*[{}] * 4)), "jsonl")
        with pytest.raises(ImportFileError, match="more than 3 records, the most one import"):
            import_records(
                session, provider_id=provider, records=records, limits=ImportLimits(max_records=3)
            )

    def test_import_past_the_time_limit_raises_naming_it(
        self, session: Session, provider: str
    ) -> None:
        records = read_records(io.BytesIO(jsonl(*[{}] * 5000)), "jsonl")
        with pytest.raises(ImportFileError, match="longer than 0.01 seconds, the most one import"):
            import_records(
                session, provider_id=provider, records=records, limits=ImportLimits(timeout_s=0.01)
            )
        assert count(session, Activity) == 0

    @pytest.mark.parametrize(
        ("data", "fmt"),
        [
            pytest.param(b"", "jsonl", id="empty-jsonl"),
            pytest.param(b"\n  \n", "jsonl", id="blank-jsonl"),
            pytest.param(b"provider_activity_id,title\n", "csv", id="header-only-csv"),
            pytest.param(b"provider_activity_id,title\n,\n", "csv", id="empty-rows-csv"),
        ],
    )
    def test_import_of_a_file_without_records_is_refused(
        self, session: Session, provider: str, data: bytes, fmt: str
    ) -> None:
        """One rule for every format: an empty JSONL was 200 "ok", an empty CSV 422."""
        with pytest.raises(ImportFileError, match="the file holds no records"):
            run(session, provider, data, fmt)

    def test_import_deletion_of_an_activity_gone_since_the_check_is_a_rejection(
        self, session: Session, provider: str
    ) -> None:
        """The check reads outside the write transaction: what it found may change before
        the write, and a deletion that then finds nothing writes nothing at all."""
        for key in ("GONE", "KEPT"):
            upsert_activity(
                session, provider_id=provider,
                data=parse_activity(make_record(provider_activity_id=key)),
            )  # fmt: skip
        records = [
            Record("activity 1", {"provider_activity_id": "GONE"}, delete=True),
            Record("activity 2", make_record(provider_activity_id="NEW")),
        ]
        report, checked = check_import(
            session, provider_id=provider, records=records, limits=ImportLimits()
        )
        assert report.ok
        delete_activity(session, provider_id=provider, provider_activity_id="GONE")
        write_checked(session, provider_id=provider, checked=checked, report=report)
        assert lines(report) == ["activity 1: provider_activity_id: no such activity"]
        assert (report.accepted, report.rejected_records, report.written.created) == (1, 1, 0)
        assert [r[0] for r in session.execute(select(Activity.provider_activity_id))] == ["KEPT"]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A catalog of its own in a file: run_import commits, and SQLite has one write lock."""
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.db'}")
    migrate.upgrade(engine)
    with session_scope(engine, write=True) as session:
        add_provider(session, provider_id="acme", name="ACME Medical Education")
        add_provider(session, provider_id="other", name="Other CME")
    yield engine
    engine.dispose()


def test_import_batch_checks_without_holding_the_write_lock(sqlite_engine: Engine) -> None:
    """Another provider writes while the import reads its file: before, the import held
    SQLite's write lock (BEGIN IMMEDIATE) from its first line, and the write waited for the
    busy timeout (10 s) and failed."""

    def records() -> Iterator[Record]:
        yield Record("line 1", make_record(provider_activity_id="MINE"))
        with session_scope(sqlite_engine, write=True) as other:
            data = parse_activity(make_record(provider_activity_id="THEIRS"))
            upsert_activity(other, provider_id="other", data=data)
        yield Record("line 2", make_record(provider_activity_id="MINE-2"))

    report = run_import(sqlite_engine, provider_id="acme", records=records())
    assert (report.ok, report.written.created) == (True, 2)
    with session_scope(sqlite_engine) as session:
        assert count(session, Activity) == 3


def test_jsonl_integer_too_long_to_convert_is_named_not_a_crash() -> None:
    """A 5,000-digit integer raised ValueError (int's 4,300-digit limit) out of the reader: a
    500 on the API and the upload page. It now reads as infinity, which the rules refuse by
    the field's name, as they refuse 1e999."""
    record = make_record()
    line = json.dumps(record).replace(
        f'"cme_credits": {json.dumps(record["cme_credits"])}', '"cme_credits": ' + "9" * 5000
    )
    assert "9" * 5000 in line
    (read,) = list(read_records(io.BytesIO(line.encode()), "jsonl"))
    with pytest.raises(InvalidActivity) as refused:
        parse_activity(read.data)
    assert [e.field for e in refused.value.errors] == ["cme_credits"]
