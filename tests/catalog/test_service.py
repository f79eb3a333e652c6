"""Writes through catalog.service on SQLite and PostgreSQL: upserts, deletes, the outbox."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from catalog import repository as repo
from catalog.errors import ActivityNotFound, ProviderNotFound
from catalog.models import Activity, MocRegistration, OutboxEntry
from catalog.rules import parse_activity
from catalog.service import (
    delete_activity,
    get_provider_activity,
    get_public_activity,
    public_id,
    upsert_activities,
    upsert_activity,
)
from tests.builders import make_record

TODAY = date(2030, 1, 1)


def outbox(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(OutboxEntry.activity_id, OutboxEntry.op).order_by(OutboxEntry.id))
    return [(r.activity_id, r.op) for r in rows]


def count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


class TestUpsertActivity:
    def test_upsert_activity_create_writes_row_children_and_one_outbox_row(
        self, session: Session, provider: str
    ) -> None:
        created = upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
        aid = public_id(provider, "CARD-1")
        assert created is True
        assert outbox(session) == [(aid, "upsert")]
        assert count(session, MocRegistration) == 1
        stored = get_provider_activity(session, provider_id=provider, provider_activity_id="CARD-1")
        assert stored.id == aid
        assert stored.provider.name == "ACME Medical Education"
        assert stored.moc[0].credit_types == ["MK", "PS"]
        assert stored.location is not None
        assert stored.location.lat == pytest.approx(39.9487)

    def test_upsert_activity_same_data_changes_nothing(
        self, session: Session, provider: str
    ) -> None:
        data = parse_activity(make_record())
        upsert_activity(session, provider_id=provider, data=data)
        before = get_provider_activity(session, provider_id=provider, provider_activity_id="CARD-1")
        assert upsert_activity(session, provider_id=provider, data=data) is False
        after = get_provider_activity(session, provider_id=provider, provider_activity_id="CARD-1")
        assert len(outbox(session)) == 1
        assert after.updated_at == before.updated_at

    def test_upsert_activity_replace_updates_and_adds_one_outbox_row(
        self, session: Session, provider: str
    ) -> None:
        upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
        changed = make_record(
            title="Cardiology Update, revised",
            moc=[
                {
                    "board": "ABP",
                    "points": 6.5,
                    "credit_types": ["LLSA"],
                    "practice_areas": ["Pediatric Cardiology"],
                },
            ],
        )
        assert upsert_activity(session, provider_id=provider, data=parse_activity(changed)) is False
        stored = get_provider_activity(session, provider_id=provider, provider_activity_id="CARD-1")
        assert stored.title == "Cardiology Update, revised"
        assert [m.board for m in stored.moc] == ["ABP"]
        assert count(session, MocRegistration) == 1
        assert [op for _, op in outbox(session)] == ["upsert", "upsert"]

    def test_upsert_activity_unknown_provider_raises(self, session: Session) -> None:
        with pytest.raises(ProviderNotFound):
            upsert_activity(session, provider_id="nobody", data=parse_activity(make_record()))
        assert count(session, Activity) == 0
        assert count(session, OutboxEntry) == 0


def test_upsert_activities_batch_counts(session: Session, provider: str) -> None:
    items = [parse_activity(make_record(provider_activity_id=f"A{i}")) for i in range(1200)]
    summary = upsert_activities(session, provider_id=provider, items=items)
    assert (summary.created, summary.updated, summary.unchanged) == (1200, 0, 0)
    items[5] = parse_activity(make_record(provider_activity_id="A5", title="Changed title"))
    summary = upsert_activities(session, provider_id=provider, items=items)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1199)
    assert count(session, OutboxEntry) == 1201
    assert count(session, Activity) == 1200


@pytest.mark.parametrize("failing", ["insert_children", "record_changes"])
def test_failed_write_leaves_neither_activity_nor_outbox(
    db_engine, failing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails half-way (injected failure in a later statement) commits nothing."""
    from catalog.db import session_scope
    from catalog.providers import add_provider

    with session_scope(db_engine) as s:
        add_provider(s, provider_id=f"fail-{failing}", name="Failing provider")

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(repo, failing, boom)
    with pytest.raises(RuntimeError, match="injected"), session_scope(db_engine) as s:
        upsert_activity(s, provider_id=f"fail-{failing}", data=parse_activity(make_record()))
    monkeypatch.undo()
    with session_scope(db_engine) as s:
        aid = public_id(f"fail-{failing}", "CARD-1")
        assert s.get(Activity, aid) is None
        assert s.execute(select(OutboxEntry).where(OutboxEntry.activity_id == aid)).first() is None
        delete_provider_rows(s, f"fail-{failing}")


def delete_provider_rows(session: Session, provider_id: str) -> None:
    from catalog.models import Provider

    provider = session.get(Provider, provider_id)
    session.delete(provider)


class TestDeleteActivity:
    def test_delete_activity_removes_rows_and_records_one_delete(
        self, session: Session, provider: str
    ) -> None:
        upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
        delete_activity(session, provider_id=provider, provider_activity_id="CARD-1")
        assert count(session, Activity) == 0
        assert count(session, MocRegistration) == 0
        assert [op for _, op in outbox(session)] == ["upsert", "delete"]

    def test_delete_activity_unknown_raises_and_records_nothing(
        self, session: Session, provider: str
    ) -> None:
        with pytest.raises(ActivityNotFound):
            delete_activity(session, provider_id=provider, provider_activity_id="nope")
        assert count(session, OutboxEntry) == 0


class TestPublicActivity:
    def test_public_activity_listed_current_with_moc_is_found(
        self, session: Session, provider: str
    ) -> None:
        upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
        found = get_public_activity(session, public_id(provider, "CARD-1"), today=TODAY)
        assert found.title == "Cardiology Update"

    @pytest.mark.parametrize(
        "overrides",
        [
            pytest.param({"listed": False}, id="unlisted"),
            pytest.param({"moc": []}, id="no-moc"),
            pytest.param({"start_date": "2029-01-01", "end_date": "2029-12-31"}, id="ended"),
        ],
    )
    def test_public_activity_hidden_cases_look_missing(
        self, session: Session, provider: str, overrides: dict[str, object]
    ) -> None:
        upsert_activity(
            session, provider_id=provider, data=parse_activity(make_record(**overrides))
        )
        with pytest.raises(ActivityNotFound):
            get_public_activity(session, public_id(provider, "CARD-1"), today=TODAY)

    def test_public_statement_is_the_only_filter(self, session: Session, provider: str) -> None:
        upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
        upsert_activity(
            session,
            provider_id=provider,
            data=parse_activity(make_record(provider_activity_id="X", listed=False)),
        )
        rows = session.execute(repo.public_activities(TODAY)).all()
        assert [r.provider_activity_id for r in rows] == ["CARD-1"]


def public_log(session: Session) -> list[tuple[str, str]]:
    from catalog.models import PublicChange

    rows = session.execute(
        select(PublicChange.activity_id, PublicChange.op).order_by(PublicChange.id)
    )
    return [(r.activity_id, r.op) for r in rows]


def test_public_change_log_follows_visibility(session: Session, provider: str) -> None:
    """Only entering, changing within or leaving the public catalog is logged for partners."""
    aid, hid = public_id(provider, "CARD-1"), public_id(provider, "H")
    upsert_activity(session, provider_id=provider, data=parse_activity(make_record()))
    upsert_activity(
        session, provider_id=provider,
        data=parse_activity(make_record(provider_activity_id="H", listed=False)),
    )  # fmt: skip
    upsert_activity(session, provider_id=provider, data=parse_activity(make_record(title="New")))
    upsert_activity(
        session, provider_id=provider, data=parse_activity(make_record(title="New", moc=[]))
    )
    upsert_activity(session, provider_id=provider, data=parse_activity(make_record(title="Back")))
    delete_activity(session, provider_id=provider, provider_activity_id="H")
    delete_activity(session, provider_id=provider, provider_activity_id="CARD-1")
    assert public_log(session) == [
        (aid, "upsert"), (aid, "upsert"), (aid, "remove"), (aid, "upsert"), (aid, "remove"),
    ]  # fmt: skip
    assert hid not in {a for a, _ in public_log(session)}
