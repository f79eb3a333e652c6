"""PARS batch XML imports (MEMS with ACCME extensions).

No real PARS activity file is public, so these documents follow the MedBiquitous schemas in
shared/pars-xml (namespaces, ``lom:string`` wrappers, nested ``Country/CountryCode``) and
ACCME's draft field list in domain.md §3.3 (the ``XtensibleInfo`` children, here in a made-up
``urn:example:accme`` namespace since the draft names none).
"""

from __future__ import annotations

import io
import re
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from catalog.errors import ImportFileError
from catalog.importers import read_records
from catalog.importers import xml as xml_reader
from catalog.imports import ImportReport, check_records, import_records
from catalog.models import Activity, OutboxEntry
from catalog.rules import parse_activity
from catalog.service import get_provider_activity
from tests.pars_sample import EVERY_ELEMENT, EXPECTED

NAMESPACES = (
    'xmlns="http://ns.medbiq.org/metrics/v1/" xmlns:lom="http://ltsc.ieee.org/xsd/LOM" '
    'xmlns:hx="http://ns.medbiq.org/lom/extend/v1/" xmlns:a="http://ns.medbiq.org/address/v1/" '
    'xmlns:x="urn:example:accme"'
)
LOCATION = (
    "<hx:activityLocation><a:City>Boston</a:City><a:StateOrProvince>MA</a:StateOrProvince>"
    "<a:PostalCode>02115</a:PostalCode><a:Country><a:CountryCode>USA</a:CountryCode></a:Country>"
    "</hx:activityLocation>"
)
ABIM = (
    "<x:MOCRegistration><x:boardName>ABIM</x:boardName><x:mocPoints>8</x:mocPoints>"
    "<x:MOCCreditType>MK</x:MOCCreditType><x:MOCCreditType>Patient Safety</x:MOCCreditType>"
    "<x:CreditClaimDate>2030-06-30</x:CreditClaimDate></x:MOCRegistration>"
)
ABP = (
    "<x:MOCRegistration><x:boardName>ABP</x:boardName><x:mocPoints>4</x:mocPoints>"
    "<x:MOCCreditType>LLSA</x:MOCCreditType></x:MOCRegistration>"
)


def identifier(catalog: str, entry: str) -> str:
    return (
        f"<lom:identifier><lom:catalog>{catalog}</lom:catalog>"
        f"<lom:entry>{entry}</lom:entry></lom:identifier>"
    )


def credit(certification: str, number: str) -> str:
    return (
        f"<hx:credits><hx:activityCertification>{certification}</hx:activityCertification>"
        f"<hx:numberOfCredits>{number}</hx:numberOfCredits></hx:credits>"
    )


def activity(
    key: str = "X1",
    *,
    title: str = "Heart Failure Review",
    kind: str = "Live course",
    delivery: tuple[str, ...] = ("In-Person",),
    location: str = LOCATION,
    credits: str = "8",
    specialties: tuple[str, ...] = ("Cardiovascular Disease",),
    moc: str = ABIM,
    start: str = "2030-05-01T00:00:00",
    end: str = "2030-05-02T00:00:00",
    action: str = "Add",
    extra: str = "",
) -> str:
    """One MedicalEducationMetrics element in the MEMS shape with ACCME's extensions."""
    audience = "".join(
        f"<hx:specialty><lom:string>{s}</lom:string></hx:specialty>" for s in specialties
    )
    methods = "".join(f"<x:DeliveryMethod>{d}</x:DeliveryMethod>" for d in delivery)
    return f"""  <MedicalEducationMetrics>
    <ReportDescription><ReportingStartDate>2030-01-01</ReportingStartDate></ReportDescription>
    <ActivityDescription>
      <lom:lom>
        <lom:general>
          {identifier("ACCME Activity ID", "200000001")}
          {identifier("Provider Activity ID", key)}
          {identifier("URL", f"https://example.org/{key}")}
          <lom:title><lom:string language="en">{title}</lom:string></lom:title>
          <lom:description><lom:string>Guideline update.</lom:string></lom:description>
        </lom:general>
        <hx:healthcareMetadata><hx:healthcareEducation>
          {credit("IPCE", "2")}
          {credit("AMA PRA Category 1", credits)}
          <hx:targetAudience>{audience}</hx:targetAudience>
          {location}
          <hx:startDateTime>{start}</hx:startDateTime>
          <hx:endDateTime>{end}</hx:endDateTime>
          <hx:activitySponsorship>direct</hx:activitySponsorship>
          <hx:activityFormat><lom:string>{kind}</lom:string></hx:activityFormat>
        </hx:healthcareEducation></hx:healthcareMetadata>
      </lom:lom>
    </ActivityDescription>
    <ParticipationMetrics/>
    <XtensibleInfo>
      <x:DeliveryMethods>{methods}</x:DeliveryMethods>
      <x:MOCRegistrations>{moc}</x:MOCRegistrations>
      <x:ForPublicList>true</x:ForPublicList>
      <x:FeeForParticipation>No, it’s free</x:FeeForParticipation>
      <x:ActivityRegistration>Open to all</x:ActivityRegistration>{extra}
      <x:activityRecordAction>{action}</x:activityRecordAction>
    </XtensibleInfo>
  </MedicalEducationMetrics>
"""


def document(*activities: str) -> bytes:
    """A PARS batch file; its first activity starts on line 3."""
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<ACCMEActivities {NAMESPACES}>\n'
    return (head + "".join(activities) + "</ACCMEActivities>\n").encode()


# The ACCME draft's plain spelling: no namespaces, lower-case Lom and location parts, a country
# given directly as alpha-3, healthcareMetadata beside the LOM, a legacy activity-type code.
PLAIN = b"""<ACCMEActivities><MedicalEducationMetrics><ActivityDescription>
<Lom><general>
<identifier><catalog>Provider Activity ID</catalog><entry>P1</entry></identifier>
<title>Grand Rounds 2030</title></general></Lom>
<healthcareMetadata><healthcareEducation>
<credits><activityCertification>AMA PRA Category 1 Credit</activityCertification>
<numberOfCredits>52</numberOfCredits></credits>
<activityLocation><city>Toronto</city><stateOrProvince>ON</stateOrProvince><country>CAN</country>
</activityLocation><startDateTime>2030-01-01T00:00:00</startDateTime>
<endDateTime>2030-12-31T00:00:00</endDateTime><activityFormat>RSS</activityFormat>
</healthcareEducation></healthcareMetadata></ActivityDescription>
<XtensibleInfo><DeliveryMethods><DeliveryMethod>In-Person</DeliveryMethod></DeliveryMethods>
<ForPublicList>false</ForPublicList></XtensibleInfo></MedicalEducationMetrics></ACCMEActivities>
"""


def run(session: Session, provider: str, data: bytes, partial: bool = False) -> ImportReport:
    records = read_records(io.BytesIO(data), "xml")
    return import_records(session, provider_id=provider, records=records, partial=partial)


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def lines(report: ImportReport) -> list[str]:
    return [str(r) for r in report.rejections]


def stored_ids(session: Session) -> list[str]:
    statement = select(Activity.provider_activity_id).order_by(Activity.provider_activity_id)
    return [r[0] for r in session.execute(statement)]


def moc_of(session: Session, provider: str, key: str) -> list[dict[str, object]]:
    found = get_provider_activity(session, provider_id=provider, provider_activity_id=key)
    return [m.model_dump(exclude_none=True) for m in found.moc]


ACTIVITY_LINES = activity().count("\n")


def at(number: int) -> str:
    """The locator of the n-th activity of a document of same-length activities."""
    return f"activity {number} (line {3 + (number - 1) * ACTIVITY_LINES})"


TWO_BOARDS = activity(
    "X2",
    title="Heart Module",
    kind="Enduring material (online)",
    delivery=("Online",),
    location="",
    credits="4",
    specialties=("Cardiovascular Disease", "Pediatric Cardiology"),
    moc=ABIM.replace("8<", "4<") + ABP,
    start="2030-01-01T00:00:00",
    end="2031-12-31T00:00:00",
)
HYBRID = activity("X3", kind="C", delivery=("In-Person", "Live-Streamed"))


class TestXmlReading:
    def test_locators_give_activity_number_and_line(self) -> None:
        records = read_records(io.BytesIO(document(activity("A"), activity("B"))), "xml")
        assert [r.locator for r in records] == [
            "activity 1 (line 3)",
            at(2),
        ]

    def test_small_chunks_give_the_same_records(self, monkeypatch: pytest.MonkeyPatch) -> None:
        data = document(activity("A"), TWO_BOARDS)
        whole = list(read_records(io.BytesIO(data), "xml"))
        monkeypatch.setattr(xml_reader, "CHUNK", 7)
        assert list(read_records(io.BytesIO(data), "xml")) == whole

    def test_delete_action_becomes_a_deletion_record(self) -> None:
        [record] = read_records(io.BytesIO(document(activity("A", action="Delete"))), "xml")
        assert record.data == {"provider_activity_id": "A"}
        assert record.delete is True
        assert record.describe("provider_activity_id") == (
            'provider_activity_id (element "general/identifier[2]/entry")'
        )


class TestXmlImport:
    def test_import_pars_file_writes_exact_activities(
        self, session: Session, provider: str
    ) -> None:
        report = run(session, provider, document(activity(), TWO_BOARDS, HYBRID))
        assert report.ok, lines(report)
        assert (report.written.created, count(session, OutboxEntry)) == (3, 3)
        heart = get_provider_activity(session, provider_id=provider, provider_activity_id="X1")
        assert heart.model_dump(include={"title", "description", "activity_type", "format"}) == {
            "title": "Heart Failure Review",
            "description": "Guideline update.",
            "activity_type": "course",
            "format": "in_person",
        }
        assert (heart.start_date, heart.end_date, heart.cme_credits) == (
            date(2030, 5, 1),
            date(2030, 5, 2),
            8,
        )
        assert (heart.url, heart.fee, heart.listed, heart.registration, heart.specialties) == (
            "https://example.org/X1",
            "free",
            True,
            "open",
            [],
        )
        assert heart.location is not None
        assert heart.location.model_dump(include={"city", "state", "postal_code", "country"}) == {
            "city": "Boston",
            "state": "MA",
            "postal_code": "02115",
            "country": "US",
        }
        assert moc_of(session, provider, "X1") == [
            {
                "board": "ABIM",
                "points": 8,
                "credit_types": ["MK", "PS"],
                "practice_areas": ["Cardiovascular Disease"],
                "credit_claim_date": date(2030, 6, 30),
                "content_outline": [],
            }
        ]
        module = get_provider_activity(session, provider_id=provider, provider_activity_id="X2")
        assert (module.activity_type, module.format, module.location) == (
            "enduring_material",
            "online",
            None,
        )
        # The audience's practice areas go to the registration of the board they belong to.
        assert moc_of(session, provider, "X2") == [
            {
                "board": "ABIM",
                "points": 4,
                "credit_types": ["MK", "PS"],
                "practice_areas": ["Cardiovascular Disease"],
                "credit_claim_date": date(2030, 6, 30),
                "content_outline": [],
            },
            {
                "board": "ABP",
                "points": 4,
                "credit_types": ["LLSA"],
                "practice_areas": ["Pediatric Cardiology"],
                "content_outline": [],
            },
        ]
        hybrid = get_provider_activity(session, provider_id=provider, provider_activity_id="X3")
        assert (hybrid.activity_type, hybrid.format) == ("course", "hybrid")

    def test_import_draft_spelling_without_namespaces(
        self, session: Session, provider: str
    ) -> None:
        report = run(session, provider, PLAIN)
        assert report.ok, lines(report)
        found = get_provider_activity(session, provider_id=provider, provider_activity_id="P1")
        assert (found.activity_type, found.format, found.cme_credits, found.listed) == (
            "rss",
            "in_person",
            52,
            False,
        )
        assert found.location is not None
        assert (found.location.city, found.location.state, found.location.country) == (
            "Toronto",
            "ON",
            "CA",
        )
        assert (found.url, found.fee, found.moc) == (None, None, [])

    def test_import_bad_activities_name_activity_and_element(
        self, session: Session, provider: str
    ) -> None:
        data = document(
            activity(),
            activity("B1", moc=ABIM.replace("Patient Safety", "XX")),
            activity("B2", kind="Webinar", delivery=("Carrier pigeon",), location=""),
            activity("B3", credits="1.3", specialties=("Cardiology",)),
        )
        report = run(session, provider, data)
        found = lines(report)
        assert found[1].startswith(
            f"{at(3)}: activity_type "
            '(element "healthcareEducation/activityFormat"): '
            "unknown activity type 'Webinar'; expected one of course, rss,"
        )
        assert found[:1] + found[2:] == [
            f"{at(2)}: moc.0.credit_types.1 "
            '(element "MOCRegistration[1]/MOCCreditType[2]"): '
            "'XX' is not a credit type of ABIM",
            f'{at(3)}: format (element "XtensibleInfo/DeliveryMethods"): '
            "must be one of: in_person, online, hybrid",
            f"{at(4)}: cme_credits "
            '(element "credits[2]/numberOfCredits"): must be a multiple of 0.25',
            f"{at(4)}: moc.0.practice_areas.0 "
            '(element "targetAudience/specialty[1]"): '
            "'Cardiology' is not a practice area of ABIM",
        ]
        assert (report.records, report.accepted, report.rejected_records) == (4, 1, 3)
        assert (count(session, Activity), count(session, OutboxEntry)) == (0, 0)

    def test_import_partial_writes_the_valid_activities(
        self, session: Session, provider: str
    ) -> None:
        data = document(activity(), activity("B1", credits="0"), HYBRID)
        report = run(session, provider, data, partial=True)
        assert lines(report) == [
            f'{at(2)}: cme_credits (element "credits[2]/numberOfCredits"): must be greater than 0'
        ]
        assert stored_ids(session) == ["X1", "X3"]

    def test_import_unknown_action_rejected(self, session: Session, provider: str) -> None:
        report = run(session, provider, document(activity(action="Remove")))
        assert lines(report) == [
            "activity 1 (line 3): activityRecordAction must be Add, Update or Delete, not 'Remove'"
        ]

    def test_import_update_replaces(self, session: Session, provider: str) -> None:
        run(session, provider, document(activity()))
        report = run(session, provider, document(activity(title="Renamed", action="Update")))
        assert (report.written.created, report.written.updated) == (0, 1)
        found = get_provider_activity(session, provider_id=provider, provider_activity_id="X1")
        assert found.title == "Renamed"


DELETE_ONLY = """  <MedicalEducationMetrics><ActivityDescription><lom:lom><lom:general>
    <lom:identifier><lom:catalog>Provider Activity ID</lom:catalog><lom:entry>{key}</lom:entry>
    </lom:identifier></lom:general></lom:lom></ActivityDescription>
  <XtensibleInfo><x:activityRecordAction>Delete</x:activityRecordAction></XtensibleInfo>
  </MedicalEducationMetrics>
"""


class TestXmlDelete:
    def test_delete_removes_activity_and_records_outbox(
        self, session: Session, provider: str
    ) -> None:
        run(session, provider, document(activity(), TWO_BOARDS))
        report = run(session, provider, document(DELETE_ONLY.format(key="X1")))
        assert report.ok, lines(report)
        assert (report.accepted, report.deleted) == (1, 1)
        assert stored_ids(session) == ["X2"]
        ops = session.execute(select(OutboxEntry.op).order_by(OutboxEntry.id)).scalars().all()
        assert ops == ["upsert", "upsert", "delete"]

    def test_delete_of_unknown_id_rejected_and_nothing_written(
        self, session: Session, provider: str
    ) -> None:
        data = document(activity(), DELETE_ONLY.format(key="NOPE"))
        report = run(session, provider, data)
        assert lines(report) == [
            f"{at(2)}: provider_activity_id "
            '(element "general/identifier[1]/entry"): no such activity'
        ]
        assert (report.accepted, report.rejected_records) == (1, 1)
        assert (count(session, Activity), count(session, OutboxEntry)) == (0, 0)
        report = run(session, provider, data, partial=True)
        assert (report.written.created, report.deleted) == (1, 0)
        assert stored_ids(session) == ["X1"]

    def test_unknown_deletion_reported_in_file_order(self, session: Session, provider: str) -> None:
        delete = DELETE_ONLY.format(key="NOPE")
        data = document(activity("A", credits="0"), delete, activity("C", credits="0"))
        assert [r.locator.split(" (")[0] for r in run(session, provider, data).rejections] == [
            "activity 1",
            "activity 2",
            "activity 3",
        ]

    def test_delete_of_another_providers_activity_is_unknown(
        self, session: Session, provider: str
    ) -> None:
        from catalog.providers import add_provider

        add_provider(session, provider_id="other", name="Other CME")
        run(session, "other", document(activity()))
        report = run(session, provider, document(DELETE_ONLY.format(key="X1")))
        assert [r.message for r in report.rejections] == ["no such activity"]
        assert count(session, Activity) == 1

    def test_delete_and_add_of_same_id_in_one_file_rejected(
        self, session: Session, provider: str
    ) -> None:
        report = run(session, provider, document(activity(), DELETE_ONLY.format(key="X1")))
        assert [r.message for r in report.rejections] == [
            "appears more than once in this file (first at activity 1 (line 3))"
        ]

    def test_delete_without_id_rejected(self, session: Session, provider: str) -> None:
        data = document(DELETE_ONLY.format(key=""))
        assert lines(run(session, provider, data)) == [
            "activity 1 (line 3): provider_activity_id "
            '(element "general/identifier[1]/entry"): is required'
        ]


SECRET = "s3cr3t-do-not-read"


class TestXmlRefused:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param(b"", "malformed XML: no element found", id="empty"),
            pytest.param(b"hello", "malformed XML: syntax error", id="not-xml"),
            pytest.param(
                document(activity(), activity("B"))[:-40], "malformed XML", id="truncated"
            ),
            pytest.param(
                b"<Activities><MedicalEducationMetrics/></Activities>",
                "root element is 'Activities'",
                id="wrong-root",
            ),
            pytest.param(
                b"<ACCMEActivities/>", "holds no MedicalEducationMetrics", id="no-activity"
            ),
            pytest.param(
                b"<ACCMEActivities><a></b></ACCMEActivities>", "mismatched tag", id="mismatch"
            ),
        ],
    )
    def test_malformed_document_raises_and_writes_nothing(
        self, session: Session, provider: str, data: bytes, message: str
    ) -> None:
        with pytest.raises(ImportFileError, match=re.escape(message)):
            run(session, provider, data)
        assert (count(session, Activity), count(session, OutboxEntry)) == (0, 0)

    @pytest.mark.parametrize(
        "doctype",
        [
            pytest.param('<!DOCTYPE x [<!ENTITY e SYSTEM "file://{path}">]>', id="external-entity"),
            pytest.param('<!DOCTYPE ACCMEActivities SYSTEM "file://{path}">', id="external-dtd"),
            pytest.param(
                '<!DOCTYPE x [<!ENTITY a "lol">'
                + "".join(
                    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
                )
                + "]>",
                id="billion-laughs",
            ),
        ],
    )
    def test_dtd_and_entities_refused_quickly(
        self, session: Session, provider: str, tmp_path: Path, doctype: str
    ) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text(SECRET, encoding="utf-8")
        body = document(activity(title="&e; &j;")).decode().split("\n", 1)[1]
        data = (doctype.format(path=secret) + "\n" + body).encode()
        started = time.monotonic()
        with pytest.raises(ImportFileError, match="declares a DTD or entities") as caught:
            run(session, provider, data)
        assert time.monotonic() - started < 2
        assert SECRET not in str(caught.value)
        assert count(session, Activity) == 0

    @pytest.mark.parametrize(
        ("bad", "problem"),
        [
            pytest.param(b"&#xD800;", "holds a character XML does not allow, such as &#xD800; "
                         "(a lone UTF-16 surrogate), at line", id="reference"),
            pytest.param("\ud800".encode("utf-8", "surrogatepass"),
                         "is not well-formed XML at line", id="encoded"),
        ],
    )  # fmt: skip
    def test_lone_surrogate_names_the_activity_and_field(
        self, session: Session, provider: str, bad: bytes, problem: str
    ) -> None:
        """XML allows no lone surrogate in any form, so the file stops there; the error said
        only "malformed XML: ... line 40, column 53", not which activity or field."""
        data = document(activity("A"), activity("B", title="Heart BAD Review"))
        second = 3 + activity("A").count("\n")
        with pytest.raises(ImportFileError) as caught:
            run(session, provider, data.replace(b"BAD", bad))
        assert caught.value.message.startswith(
            f'activity 2 (line {second}): title (element "general/title"): {problem}'
        )
        assert caught.value.message.endswith("; nothing was read past it")
        assert count(session, Activity) == 0

    def test_too_many_activities_refused(
        self, session: Session, provider: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(xml_reader, "MAX_ACTIVITIES", 2)
        data = document(activity("A"), activity("B"), activity("C"))
        with pytest.raises(ImportFileError, match="more than 2 activities"):
            run(session, provider, data)
        assert count(session, Activity) == 0

    def test_file_over_size_limit_refused(
        self, session: Session, provider: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(xml_reader, "MAX_BYTES", 1000)
        with pytest.raises(ImportFileError, match="larger than"):
            run(session, provider, document(activity()))
        assert count(session, Activity) == 0


# -- issue 14: the PARS fields physicians, boards and auditors rely on --------------------------


class TestParsDisclosureElements:
    def test_every_element_maps_to_its_field(self) -> None:
        [record] = read_records(io.BytesIO(EVERY_ELEMENT), "xml")
        activity = parse_activity(record.data)
        dumped = activity.model_dump(mode="json")
        assert {k: dumped[k] for k in EXPECTED} == EXPECTED

    def test_problems_name_the_element(self) -> None:
        bad = EVERY_ELEMENT.replace(b"<x:Topic>Controlled substance prescribing", b"<x:Topic>Golf")
        bad = bad.replace(b"<x:mocPoints>6</x:mocPoints>", b"<x:mocPoints>5</x:mocPoints>", 1)
        [record] = read_records(io.BytesIO(bad), "xml")
        report = ImportReport()
        check_records([record], report)
        assert lines(report) == [
            'activity 1 (line 3): topics.0 (element "XtensibleInfo/StateContentTags/'
            "StateContentTag[1]/Topic\"): unknown topic 'Golf'",
            'activity 1 (line 3): moc.0.points (element "MOCRegistration[1]/mocPoints"): '
            "must equal cme_credits (6) for ABA",
        ]

    @pytest.mark.parametrize(
        ("old", "new", "message"),
        [
            pytest.param(
                b"<hx:commercialSupport>yes", b"<hx:commercialSupport>no",
                'commercial_support (element "healthcareEducation/commercialSupport"): '
                "commercialSupport is no but commercial supporters are named",
                id="no-but-named",
            ),
            pytest.param(
                b"<hx:commercialSupport>yes", b"<hx:commercialSupport>perhaps",
                'commercial_support (element "healthcareEducation/commercialSupport"): '
                "commercialSupport must be yes or no, not 'perhaps'",
                id="not-yes-or-no",
            ),
            pytest.param(
                b"<x:REMSType>Opioid Analgesic", b"<x:REMSType>Isotretinoin",
                'rems (element "XtensibleInfo/REMS[1]/REMSType[1]"): '
                "REMSType must be Opioid Analgesic or Mycophenolate, not 'Isotretinoin'",
                id="unknown-rems",
            ),
            pytest.param(
                b"<x:boardName>ABA</x:boardName>", b"<x:boardName>ABIM</x:boardName>",
                'moc (element "general/keyword[2]"): content outline areas are given for ABA '
                "but it has no MOCRegistration",
                id="outline-without-aba",
            ),
        ],
    )  # fmt: skip
    def test_contradictions_between_elements(self, old: bytes, new: bytes, message: str) -> None:
        [record] = read_records(io.BytesIO(EVERY_ELEMENT.replace(old, new)), "xml")
        assert record.problem is not None
        assert f"{record.problem.field}: {record.problem.message}" == message

    def test_commercial_support_yes_needs_a_named_supporter(self) -> None:
        data = re.sub(
            rb"<CommercialSupportAmount.*?</CommercialSupportAmount>|<x:InKindSupports>.*?"
            rb"</x:InKindSupports>",
            b"",
            EVERY_ELEMENT,
            flags=re.DOTALL,
        )
        [record] = read_records(io.BytesIO(data), "xml")
        assert record.problem is not None
        assert record.problem.message.startswith("commercialSupport is yes but no supporter")

    def test_mycophenolate_rems_is_not_the_opioid_flag(self) -> None:
        data = EVERY_ELEMENT.replace(b"Opioid Analgesic", b"Mycophenolate")
        [record] = read_records(io.BytesIO(data), "xml")
        assert parse_activity(record.data).rems is False

    def test_content_outlines_in_the_newer_generic_form(self) -> None:
        keywords = re.compile(rb"<lom:keyword.*?</lom:keyword>", re.DOTALL)
        outlines = (
            b"<x:ContentOutlines><x:ContentOutline><x:source>01_ABAMCO</x:source>"
            b"<x:keyword>Level 3 ID</x:keyword><x:value>I.B.2</x:value></x:ContentOutline>"
            b"</x:ContentOutlines><x:activityRecordAction>"
        )
        data = keywords.sub(b"", EVERY_ELEMENT).replace(b"<x:activityRecordAction>", outlines)
        [record] = read_records(io.BytesIO(data), "xml")
        assert parse_activity(record.data).moc[0].content_outline == ["Regional Anesthesia"]

    def test_without_the_new_elements_the_defaults_apply(self) -> None:
        [record] = read_records(io.BytesIO(PLAIN), "xml")
        activity = parse_activity(record.data)
        assert (activity.providership, activity.joint_providers) == ("direct", [])
        assert (activity.commercial_support, activity.rems, activity.mips) == ([], False, False)
        assert (activity.topics, activity.accme_activity_id) == ([], None)


def test_elements_nested_deeper_than_any_pars_record_are_refused_at_once() -> None:
    """400,000 nested elements then a bad byte took 13.8 s and answered a 2 MB error (the
    element path); a PARS record nests a few levels, so depth past MAX_DEPTH ends the read."""
    data = b"<ACCMEActivities><MedicalEducationMetrics>" + b"<a>" * 400_000 + b"\x01"
    with pytest.raises(ImportFileError) as refused:
        list(read_records(io.BytesIO(data), "xml"))
    assert len(str(refused.value)) < 300
    assert "nested" in str(refused.value)
