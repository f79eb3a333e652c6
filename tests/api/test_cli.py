"""The moc-catalog command line, run in-process against a real SQLite catalog in tmp_path."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from catalog.db import make_engine, session_scope
from catalog.models import Activity, OutboxEntry, Provider, ProviderKey
from catalog.providers import find_key_owner, hash_key
from catalog.service import indexable_activities
from indexer.engines.tantivy import TantivyEngine
from tests.builders import make_record


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MOC_DATABASE_URL", raising=False)
    return CliRunner()


def invoke(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ready(cli: CliRunner) -> CliRunner:
    assert invoke(cli, "db", "upgrade")[0] == 0
    assert invoke(cli, "providers", "add", "acme", "--name", "ACME CME")[0] == 0
    return cli


def catalog_rows(tmp_path: Path) -> tuple[int, int]:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'catalog.db'}")
    with session_scope(engine) as session:
        counts = (
            len(session.execute(select(Activity.id)).all()),
            len(session.execute(select(OutboxEntry.id)).all()),
        )
    engine.dispose()
    return counts


def write_jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_cli_without_schema_says_to_upgrade(cli: CliRunner) -> None:
    code, _, err = invoke(cli, "providers", "add", "acme", "--name", "ACME")
    assert code == 2
    assert "run `moc-catalog db upgrade`" in err


def test_cli_bad_setting_names_variable(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOC_SEARCH_ENGINE", "elastic")
    code, _, err = invoke(cli, "db", "upgrade")
    assert code == 2
    assert "MOC_SEARCH_ENGINE" in err


def test_cli_providers_add_twice_and_bad_id(ready: CliRunner) -> None:
    code, _, err = invoke(ready, "providers", "add", "acme", "--name", "Again")
    assert (code, "already exists" in err) == (2, True)
    code, _, err = invoke(ready, "providers", "add", "bad id!", "--name", "X")
    assert (code, "provider id must be" in err) == (2, True)


def test_cli_providers_add_with_accreditor(ready: CliRunner, tmp_path: Path) -> None:
    code, _, err = invoke(ready, "providers", "add", "ny", "--name", "NY CME", "--accreditor",
                          "state:ny")  # fmt: skip
    assert (code, "provider ny added (accredited by state:NY)" in err) == (0, True)
    code, _, err = invoke(ready, "providers", "add", "bad", "--name", "X", "--accreditor", "AMA")
    assert (code, "accreditor must be ACCME, JA (Joint Accreditation) or state:XX" in err) == (
        2,
        True,
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'catalog.db'}")
    with session_scope(engine) as session:
        rows = session.execute(select(Provider.id, Provider.accreditor)).all()
        bodies = {row.id: row.accreditor for row in rows}
    engine.dispose()
    assert bodies == {"acme": "ACCME", "ny": "state:NY"}


def test_cli_providers_key_prints_once_and_stores_hash(ready: CliRunner, tmp_path: Path) -> None:
    code, out, _ = invoke(ready, "providers", "key", "acme")
    key = out.strip()
    assert code == 0
    assert key.startswith("moc_")
    assert len(key) > 40
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'catalog.db'}")
    with session_scope(engine) as session:
        stored = session.execute(select(ProviderKey.key_hash)).scalars().all()
        assert stored == [hash_key(key)]
        assert key not in stored
        assert find_key_owner(session, key) == "acme"
        assert find_key_owner(session, key + "x") is None
    engine.dispose()
    assert invoke(ready, "providers", "key", "nobody")[0] == 2


def test_cli_import_valid_then_again(ready: CliRunner, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", make_record(), make_record(provider_activity_id="B"))
    code, out, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert (code, out) == (0, "")
    assert "2 accepted, 0 rejected; 2 created" in err
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 0
    assert "0 created, 0 updated, 2 unchanged" in err
    assert catalog_rows(tmp_path) == (2, 2)


def test_cli_import_mixed_writes_nothing_exit_1(ready: CliRunner, tmp_path: Path) -> None:
    bad = make_record(
        provider_activity_id="B",
        moc=[
            {
                "board": "ABIM",
                "points": 1,
                "credit_types": ["LLSA"],
                "practice_areas": ["Nephrology"],
            }
        ],
    )
    path = write_jsonl(tmp_path / "a.jsonl", make_record(), bad)
    with path.open("a") as f:
        f.write("{oops\n")
    code, out, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 1
    assert out.splitlines() == [
        "line 2: moc.0.credit_types.0: 'LLSA' is not a credit type of ABIM",
        "line 3: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]
    assert "nothing written" in err
    assert "Traceback" not in out + err
    assert catalog_rows(tmp_path) == (0, 0)
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme", "--partial")
    assert code == 1
    assert "1 created" in err
    assert catalog_rows(tmp_path) == (1, 1)


def test_cli_import_csv_by_extension(ready: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "provider_activity_id,title,activity_type,format,start_date,end_date,url,fee,cme_credits,"
        "ABS points,ABS credit types,ABS practice areas\n"
        "S1,Surgical Update,EM,online,2030-01-01,2030-12-31,https://example.org/s,free,2,"
        "2,CME;SA,General Surgery\n",
        encoding="utf-8",
    )
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 0, err
    assert catalog_rows(tmp_path) == (1, 1)


def test_cli_import_xlsx_by_extension(ready: CliRunner, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["provider_activity_id", "title", "activity_type", "format", "start_date"])
    sheet["F1"], sheet["G1"], sheet["H1"], sheet["I1"] = "end_date", "url", "fee", "cme_credits"
    sheet.append(["S1", "Surgical Update", "EM", "online", date(2030, 1, 1), date(2030, 12, 31)])
    sheet["G2"], sheet["H2"], sheet["I2"] = "https://example.org/s", "free", 2
    sheet.append(["S2", "Bad Dates", "EM", "online", date(2030, 1, 1), date(2029, 1, 1)])
    sheet["G3"], sheet["H3"], sheet["I3"] = "https://example.org/s2", "free", 2
    path = tmp_path / "a.xlsx"
    book.save(path)
    code, out, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 1, err
    assert out.splitlines() == [
        'row 3: end_date (column "end_date"): must be on or after start_date (2030-01-01)'
    ]
    assert catalog_rows(tmp_path) == (0, 0)
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme", "--partial")
    assert code == 1
    assert catalog_rows(tmp_path) == (1, 1)
    path.write_bytes(b"not a workbook")
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 2
    assert "not an .xlsx workbook" in err


PARS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<ACCMEActivities><MedicalEducationMetrics><ActivityDescription><lom><general>
<identifier><catalog>Provider Activity ID</catalog><entry>{key}</entry></identifier>
<identifier><catalog>URL</catalog><entry>https://example.org/x</entry></identifier>
<title><string>Online Review</string></title></general>
<healthcareMetadata><healthcareEducation><credits>
<activityCertification>AMA PRA Category 1</activityCertification>
<numberOfCredits>2</numberOfCredits></credits><startDateTime>2030-01-01T00:00:00</startDateTime>
<endDateTime>2030-06-30T00:00:00</endDateTime><activityFormat>IEM</activityFormat>
</healthcareEducation></healthcareMetadata></lom></ActivityDescription>
<XtensibleInfo><FeeForParticipation>Yes</FeeForParticipation>
<activityRecordAction>{action}</activityRecordAction></XtensibleInfo>
</MedicalEducationMetrics></ACCMEActivities>
"""


def test_cli_import_xml_by_extension(ready: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pars.xml"
    path.write_text(PARS_XML.format(key="X1", action="Add"), encoding="utf-8")
    code, out, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert (code, out) == (0, ""), err
    assert catalog_rows(tmp_path) == (1, 1)
    path.write_text(PARS_XML.format(key="X2", action="Delete"), encoding="utf-8")
    code, out, _ = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 1
    assert out.splitlines() == [
        'activity 1 (line 2): provider_activity_id (element "general/identifier[1]/entry"): '
        "no such activity"
    ]
    path.write_text(PARS_XML.format(key="X1", action="Delete"), encoding="utf-8")
    assert invoke(ready, "import", str(path), "--provider", "acme")[0] == 0
    assert catalog_rows(tmp_path) == (0, 2)
    path.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 2
    assert "declares a DTD" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--provider", "nobody"], "unknown provider 'nobody'", id="unknown-provider"),
        pytest.param(["--provider", "acme", "--format", "xls"], "unknown format", id="bad-format"),
    ],
)
def test_cli_import_refused_exit_2(
    ready: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", make_record())
    code, _, err = invoke(ready, "import", str(path), *args)
    assert code == 2
    assert message in err
    assert catalog_rows(tmp_path) == (0, 0)


def test_cli_import_unknown_extension_exit_2(ready: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("x", encoding="utf-8")
    code, _, err = invoke(ready, "import", str(path), "--provider", "acme")
    assert code == 2
    assert "pass --format" in err


def test_cli_demo_writes_catalog_and_index_and_is_idempotent(
    cli: CliRunner, tmp_path: Path
) -> None:
    code, _, err = invoke(cli, "demo", "--activities", "300", "--seed", "3")
    assert code == 0, err
    assert "300 created" in err
    # The rebuild that follows the load takes in every outbox row the load wrote.
    assert catalog_rows(tmp_path) == (300, 0)
    public = public_count(tmp_path)
    assert 200 < public < 300
    assert TantivyEngine(tmp_path / "data" / "index").count() == public
    assert f"indexed {public} activities" in err
    code, _, err = invoke(cli, "demo", "--activities", "300", "--seed", "3")
    assert "0 created, 0 updated, 300 unchanged" in err
    assert catalog_rows(tmp_path) == (300, 0)


def public_count(tmp_path: Path) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'catalog.db'}")
    with session_scope(engine) as session:
        count = sum(len(part) for part in indexable_activities(session))
    engine.dispose()
    return count


def test_cli_sync_once_and_reindex(ready: CliRunner, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", make_record(), make_record(provider_activity_id="B"))
    assert invoke(ready, "import", str(path), "--provider", "acme")[0] == 0
    code, _, err = invoke(ready, "sync", "--once")
    assert (code, "applied 2 outbox rows" in err) == (0, True)
    index = TantivyEngine(tmp_path / "data" / "index")
    assert index.count() == 2
    assert catalog_rows(tmp_path) == (2, 0)
    code, _, err = invoke(ready, "reindex")
    assert (code, "indexed 2 activities" in err) == (0, True)
    assert index.count() == 2


def test_cli_providers_list(ready: CliRunner, tmp_path: Path) -> None:
    assert invoke(ready, "providers", "add", "kids", "--name", "Kids Hospital CME")[0] == 0
    key = invoke(ready, "providers", "key", "acme")[1].strip()
    path = write_jsonl(tmp_path / "a.jsonl", make_record(), make_record(provider_activity_id="B"))
    assert invoke(ready, "import", str(path), "--provider", "acme")[0] == 0
    code, out, _ = invoke(ready, "providers", "list")
    assert code == 0
    assert [line.split("\t") for line in out.splitlines()] == [
        ["id", "name", "active keys", "activities"],
        ["acme", "ACME CME", f"1 ({key[:12]}…)", "2"],
        ["kids", "Kids Hospital CME", "0", "0"],
    ]


def test_serve_rebuilds_an_index_an_earlier_version_built(
    ready: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that changes the embedded index's shape, `serve` (and so `make run`)
    rebuilds it from the catalog before serving instead of answering 503 to every search."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(make_record(provider_activity_id="A")) + "\n")
    assert invoke(ready, "import", str(path), "--provider", "acme")[0] == 0
    index = tmp_path / "data" / "index"
    shutil.rmtree(index, ignore_errors=True)
    TantivyEngine(index, boards=["ABIM"]).close()  # another schema, as an older release's
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(app))
    code, _, err = invoke(ready, "serve")
    assert code == 0, err
    assert "rebuilding it from the catalog" in err
    assert "indexed 1 activities" in err
    assert len(served) == 1
    engine = TantivyEngine(index)
    assert engine.count() == 1
    engine.close()
