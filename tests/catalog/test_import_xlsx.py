"""XLSX imports: the CSV columns in an Excel workbook, built here with openpyxl."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from catalog.errors import ImportFileError
from catalog.importers import read_records, xlsx, xlsx_parts
from catalog.imports import ImportReport, import_records
from catalog.models import Activity, OutboxEntry
from catalog.service import get_provider_activity

HEADER = [
    "provider_activity_id",
    "Title",
    "activity type",
    "format",
    "start_date",
    "end_date",
    "city",
    "state",
    "postal_code",
    "country",
    "url",
    "fee",
    "CME credits",
    "listed",
    "registration",
    "ABIM points",
    "ABIM credit types",
    "ABIM practice areas",
    "ABIM claim date",
]
HEART = [
    "X1",
    "Heart Failure Review",
    "C",
    "in_person",
    datetime(2030, 5, 1),
    date(2030, 5, 2),
    "Boston",
    "MA",
    "02115",
    "USA",
    "https://example.org/x1",
    "Yes",
    8,
    True,
    "Open to all",
    6.5,
    "MK; Patient Safety",
    "Cardiovascular Disease",
    datetime(2030, 6, 30),
]
MODULE = [
    12345,
    "Online Module",
    "IEM",
    None,
    "2030-01-01",
    "2031-01-01",
    None,
    None,
    None,
    None,
    "https://example.org/m",
    "No, it's free",
    1.25,
    False,
    "Limited",
    1.25,
    "MK",
    "Nephrology",
    None,
]


def workbook(*rows: list[object], extra_sheet: bool = False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("Notes").append(["provider_activity_id"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(session: Session, provider: str, data: bytes, partial: bool = False) -> ImportReport:
    records = read_records(io.BytesIO(data), "xlsx")
    return import_records(session, provider_id=provider, records=records, partial=partial)


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def lines(report: ImportReport) -> list[str]:
    return [str(r) for r in report.rejections]


def with_row(base: list[object], **changes: object) -> list[object]:
    row = list(base)
    for name, value in changes.items():
        row[HEADER.index(name.replace("__", " "))] = value
    return row


class TestXlsxReading:
    def test_cells_become_csv_text(self) -> None:
        records = list(read_records(io.BytesIO(workbook(HEADER, HEART, MODULE)), "xlsx"))
        assert [r.locator for r in records] == ["row 2", "row 3"]
        heart, module = (r.data for r in records)
        assert heart["start_date"] == "2030-05-01"
        assert heart["end_date"] == "2030-05-02"
        assert (heart["cme_credits"], heart["listed"]) == ("8", "true")
        assert heart["moc"] == [
            {
                "board": "ABIM",
                "points": "6.5",
                "credit_types": ["MK", "Patient Safety"],
                "practice_areas": ["Cardiovascular Disease"],
                "credit_claim_date": "2030-06-30",
            }
        ]
        assert (module["provider_activity_id"], module["listed"]) == ("12345", "false")
        assert "format" not in module

    def test_row_numbers_count_blank_rows_and_skip_them(self) -> None:
        data = workbook(HEADER, [], HEART, [None, None], MODULE)
        assert [r.locator for r in read_records(io.BytesIO(data), "xlsx")] == ["row 3", "row 5"]

    def test_header_found_below_leading_blank_rows(self) -> None:
        data = workbook([], HEADER, HEART)
        assert [r.locator for r in read_records(io.BytesIO(data), "xlsx")] == ["row 3"]

    def test_only_first_sheet_is_read(self) -> None:
        records = list(read_records(io.BytesIO(workbook(HEADER, HEART, extra_sheet=True)), "xlsx"))
        assert len(records) == 1

    def test_wrong_declared_dimension_does_not_drop_rows(self) -> None:
        data = rewrite_sheet(
            workbook(HEADER, HEART, MODULE), lambda xml: re.sub(r'ref="[^"]+"', 'ref="A1:B2"', xml)
        )
        assert len(list(read_records(io.BytesIO(data), "xlsx"))) == 2

    def test_unsupported_sheet_extension_read_without_warning(self) -> None:
        # Excel writes conditional formatting as an extension openpyxl warns about and drops.
        extension = '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}"/></extLst>'
        data = rewrite_sheet(
            workbook(HEADER, HEART),
            lambda xml: xml.replace("</worksheet>", extension + "</worksheet>"),
        )
        assert len(list(read_records(io.BytesIO(data), "xlsx"))) == 1

    def test_cell_beyond_header_is_a_problem(self) -> None:
        data = workbook(HEADER, [*HEART, "stray"])
        [record] = read_records(io.BytesIO(data), "xlsx")
        assert record.problem is not None
        assert record.problem.message == "the row has more cells than the header"


def rewrite_sheet(data: bytes, change: object) -> bytes:
    """Copy a workbook, passing the first sheet's XML through ``change``."""
    assert callable(change)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


class TestXlsxImport:
    def test_import_rows_become_activities(self, session: Session, provider: str) -> None:
        report = run(session, provider, workbook(HEADER, HEART, MODULE))
        assert report.ok, lines(report)
        assert (report.written.created, count(session, OutboxEntry)) == (2, 2)
        heart = get_provider_activity(session, provider_id=provider, provider_activity_id="X1")
        assert (heart.activity_type, heart.format, heart.cme_credits) == ("course", "in_person", 8)
        assert (heart.start_date, heart.end_date) == (date(2030, 5, 1), date(2030, 5, 2))
        assert heart.location is not None
        assert (heart.location.city, heart.location.postal_code, heart.location.country) == (
            "Boston",
            "02115",
            "US",
        )
        assert [m.model_dump() for m in heart.moc] == [
            {
                "board": "ABIM",
                "points": 6.5,
                "credit_types": ["MK", "PS"],
                "practice_areas": ["Cardiovascular Disease"],
                "credit_claim_date": date(2030, 6, 30),
                "content_outline": [],
            }
        ]
        module = get_provider_activity(session, provider_id=provider, provider_activity_id="12345")
        assert (module.activity_type, module.format, module.location) == (
            "enduring_material",
            "online",
            None,
        )
        assert (module.listed, module.registration, module.fee) == (False, "limited", "free")

    def test_import_bad_rows_name_row_and_column(self, session: Session, provider: str) -> None:
        bad = with_row(MODULE, ABIM__credit__types="MK; XX", end_date=date(2029, 1, 1))
        report = run(session, provider, workbook(HEADER, HEART, [], bad))
        assert lines(report) == [
            'row 4: end_date (column "end_date"): must be on or after start_date (2030-01-01)',
            'row 4: moc.0.credit_types.1 (column "ABIM credit types"): '
            "'XX' is not a credit type of ABIM",
        ]
        assert (count(session, Activity), count(session, OutboxEntry)) == (0, 0)

    def test_import_partial_writes_the_valid_rows(self, session: Session, provider: str) -> None:
        bad = with_row(MODULE, CME__credits=1.3)
        report = run(session, provider, workbook(HEADER, HEART, bad), partial=True)
        assert lines(report) == [
            'row 3: cme_credits (column "CME credits"): must be a multiple of 0.25'
        ]
        assert [r[0] for r in session.execute(select(Activity.provider_activity_id))] == ["X1"]

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param(b"provider_activity_id,title\n", "not a zip archive", id="csv-bytes"),
            pytest.param(b"", "not a zip archive", id="empty"),
            pytest.param(workbook(HEADER)[:500], "not a zip archive", id="truncated"),
            pytest.param(b"PK\x05\x06" + b"\0" * 18, "not a readable .xlsx", id="empty-zip"),
            pytest.param(workbook(), "the first sheet is empty", id="no-header"),
            pytest.param(workbook(["title", "colour"]), "unknown column(s): 'colour'", id="column"),
        ],
    )
    def test_import_unreadable_workbook_raises(
        self, session: Session, provider: str, data: bytes, message: str
    ) -> None:
        with pytest.raises(ImportFileError, match=re.escape(message)):
            run(session, provider, data)
        assert count(session, Activity) == 0

    def test_import_zip_bomb_refused_before_opening(
        self, session: Session, provider: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        data = workbook(HEADER, HEART)
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
        monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", unpacked - 1)
        with pytest.raises(ImportFileError, match="unpacks to more than"):
            run(session, provider, data)
        assert count(session, Activity) == 0

    def test_import_too_many_rows_refused(
        self, session: Session, provider: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
        rows = [with_row(HEART, provider_activity_id=f"X{i}") for i in range(3)]
        with pytest.raises(ImportFileError, match="more than 3 rows"):
            run(session, provider, workbook(HEADER, *rows))
        assert count(session, Activity) == 0

    def test_import_file_over_size_limit_refused(
        self, session: Session, provider: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", 100)
        with pytest.raises(ImportFileError, match="larger than"):
            run(session, provider, workbook(HEADER, HEART))


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def shared_workbook(texts: list[bytes], rows: list[list[int]]) -> bytes:
    """A workbook whose cells name texts of a shared-string table (``rows`` holds each cell's
    text number), as Excel writes them; openpyxl writes each text into its cell instead."""
    sheet = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>{i}</v></c>' for c, i in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    table = b"".join(b"<si><t>" + text + b"</t></si>" for text in texts)
    changes = {
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{sheet}</sheetData>'
        "</worksheet>".encode(),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">'.encode() + table + b"</sst>",
    }
    source = zipfile.ZipFile(io.BytesIO(workbook(["x"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = changes.pop(name, source.read(name))
            if name == "[Content_Types].xml":
                override = (
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_TYPE}"/>'
                )
                content = content.replace(b"</Types>", override.encode() + b"</Types>")
            if name == "xl/_rels/workbook.xml.rels":
                rel = f'<Relationship Id="rIdS" Type="{SHARED_REL}" Target="sharedStrings.xml"/>'
                content = content.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            target.writestr(name, content)
        for name, content in changes.items():
            target.writestr(name, content)
    return out.getvalue()


SHARED = [b"provider_activity_id", b"title", b"S1", b"Shared Lipid Course"]


class TestXlsxSharedStrings:
    def test_cells_read_their_shared_texts(self) -> None:
        [record] = read_records(io.BytesIO(shared_workbook(SHARED, [[0, 1], [2, 3]])), "xlsx")
        assert record.data == {"provider_activity_id": "S1", "title": "Shared Lipid Course"}

    def test_too_many_shared_texts_refused_before_opening(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """openpyxl loads the whole table when it opens a workbook: a 2.6 MB file whose
        table held 10 million one-letter texts took 114 s and 1 GB to open."""
        monkeypatch.setattr(xlsx_parts, "MAX_SHARED_STRINGS", 3)
        data = shared_workbook(SHARED, [[0, 1], [2, 3]])
        with pytest.raises(ImportFileError, match="more than 3 distinct texts"):
            list(read_records(io.BytesIO(data), "xlsx"))

    def test_shared_text_longer_than_excel_allows_refused(self) -> None:
        """One text of 170 MB, named by 199,000 rows, was read into every one of them."""
        data = shared_workbook([*SHARED[:3], b"A" * 40_000], [[0, 1], [2, 3]])
        message = "text 4 of the workbook holds more than 32,767 characters, the most Excel"
        with pytest.raises(ImportFileError, match=message):
            list(read_records(io.BytesIO(data), "xlsx"))

    def test_lone_surrogate_in_a_shared_text_says_which(self) -> None:
        data = shared_workbook([*SHARED[:3], b"Lipid &#55296; Course"], [[0, 1], [2, 3]])
        with pytest.raises(ImportFileError) as caught:
            list(read_records(io.BytesIO(data), "xlsx"))
        assert caught.value.message.startswith(
            "text 4 of the workbook's shared strings (xl/sharedStrings.xml) holds a character "
            "XML does not allow, such as &#xD800; (a lone UTF-16 surrogate), at line 1, column"
        )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([["provider_activity_id", "Title"], ["S1", "Lipid \ud800 Course"]],
                     'row 2: title (column "Title")', id="title"),
        pytest.param([[], ["provider_activity_id", "ABIM points"], ["S1", "\udfff"]],
                     'row 3: column "ABIM points"', id="board-column"),
        pytest.param([["provider_activity_id", "title"], ["S1", "ok", "\ud800"]],
                     "row 2: column C", id="beyond-header"),
        pytest.param([["provider_activity_id", "ti\ud800tle"]],
                     "row 1 (the header): column B", id="header"),
    ],
)  # fmt: skip
def test_lone_surrogate_in_a_cell_names_its_row_and_column(
    rows: list[list[object]], expected: str
) -> None:
    """openpyxl writes "\ud800" as &#55296;, which no XML parser takes: the error said "the
    sheet cannot be read (reference to invalid character number: line 1, column 579)"."""
    with pytest.raises(ImportFileError) as caught:
        list(read_records(io.BytesIO(workbook(*rows)), "xlsx"))
    assert caught.value.message == (
        f"{expected}: holds a character XML does not allow, such as &#xD800; (a lone UTF-16 "
        "surrogate); nothing was read past it"
    )


@pytest.mark.parametrize("index", ["5", "-1"])
def test_a_cell_naming_a_shared_string_the_workbook_lacks_is_refused(index: str) -> None:
    """openpyxl raised IndexError for a shared-string number past the table (a 500 on the API
    and the upload page), and read -1 as the last string."""

    def point_at_missing_string(sheet: str) -> str:
        return re.sub(r'<c r="B2" t="inlineStr"><is><t>[^<]*</t></is></c>',
                      f'<c r="B2" t="s"><v>{index}</v></c>', sheet)  # fmt: skip

    data = rewrite_sheet(workbook(HEADER, HEART), point_at_missing_string)
    with pytest.raises(ImportFileError, match="shared string"):
        list(read_records(io.BytesIO(data), "xlsx"))
