"""court path, consents per recipient, referrals, case tasks, report baselines

The path from a missed rent to the fogedret as data: a tenant's address and whether children under 18 live in
the household; filings as `court_cases` rows (the open one's dates mirror the rent position's `court_filed_on`
and `court_date`); the steps of the path as dated `rent_events`, kept when first seen. Consents name their
recipient, source, kinds of data, purpose and case; `referrals` to the kommune; `case_tasks` for reaching an
unreachable tenant, volunteers' appointments and the steps beside a referral; `report_baselines` for the
organisation's figures from before go-live; a console language per staff member. Court dates already stored
become open court cases, and stored demand, termination and court dates become their first events.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "court_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("court_date", sa.Date(), nullable=True),
        sa.Column("kommune_notified_on", sa.Date(), nullable=True),
        sa.Column("retskreds", sa.String(length=80), nullable=True),
        sa.Column("meeting_kind", sa.String(length=16), nullable=True),
        sa.Column("reached_by_phone", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_court_cases_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_court_cases")),
    )
    with op.batch_alter_table("court_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_court_cases_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "report_baselines",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenancies", sa.Integer(), nullable=True),
        sa.Column("demands", sa.Integer(), nullable=True),
        sa.Column("terminations", sa.Integer(), nullable=True),
        sa.Column("filings", sa.Integer(), nullable=False),
        sa.Column("evictions", sa.Integer(), nullable=False),
        sa.Column("evictions_with_moves", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_report_baselines_updated_by_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_report_baselines")),
    )
    op.create_table(
        "case_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("advice_kind", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff.id"], name=op.f("fk_case_tasks_assignee_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_tasks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_case_tasks_created_by_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_case_tasks_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_tasks")),
    )
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_tasks_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_tasks_tenant_id"), ["tenant_id"], unique=False)
    _open_task = sa.text("status = 'open' AND kind IN ('call', 'knock', 'postcard', 'appointment')")
    op.create_index(
        "uq_case_tasks_open",
        "case_tasks",
        ["case_id", "kind"],
        unique=True,
        sqlite_where=_open_task,
        postgresql_where=_open_task,
    )

    op.create_table(
        "rent_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("court_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["court_case_id"],
            ["court_cases.id"],
            name=op.f("fk_rent_events_court_case_id_court_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_rent_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rent_events")),
        sa.UniqueConstraint("tenant_id", "kind", "on", name="uq_rent_events_key"),
    )
    with op.batch_alter_table("rent_events", schema=None) as batch_op:
        batch_op.create_index("ix_rent_events_kind_on", ["kind", "on"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("consent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("help_sought", sa.JSON(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=True),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_referrals_consent_id_consents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_referrals_created_by_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_referrals_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient_kind", sa.String(length=16), server_default="organisation", nullable=False)
        )
        batch_op.add_column(sa.Column("recipient", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("data_kinds", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("wording", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("method", sa.String(length=16), server_default="conversation", nullable=False))
        batch_op.add_column(sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch_op.add_column(
            sa.Column("recorded_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("ended_reason", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_consents_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_consents_case_id_cases"), "cases", ["case_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consents_recorded_by_staff"), "staff", ["recorded_by"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("rent_positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("court_filed_on", sa.Date(), nullable=True))

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("children", sa.Boolean(), nullable=True))

    # The processor's check that no earlier message of the same sender still waits, as one index probe.
    op.create_index(
        "ix_inbound_waiting_sender",
        "inbound",
        ["channel", "sender", "id"],
        unique=False,
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    )

    op.execute(
        "INSERT INTO court_cases (tenant_id, court_date, status, opened_at, updated_at) "
        "SELECT tenant_id, court_date, 'open', updated_at, updated_at FROM rent_positions WHERE court_date IS NOT NULL"
    )
    for kind, column in (("demand", "demand_sent_on"), ("termination", "termination_on"), ("court_date", "court_date")):
        op.execute(
            f'INSERT INTO rent_events (tenant_id, kind, "on", source, seen_at) '
            f"SELECT tenant_id, '{kind}', {column}, 'import', updated_at FROM rent_positions WHERE {column} IS NOT NULL"
        )


def downgrade() -> None:
    op.drop_index("ix_inbound_waiting_sender", table_name="inbound")

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("children")
        batch_op.drop_column("address")

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("rent_positions", schema=None) as batch_op:
        batch_op.drop_column("court_filed_on")

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_consents_recorded_by_staff"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_consents_case_id_cases"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_consents_case_id"))
        batch_op.drop_column("ended_reason")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("case_id")
        batch_op.drop_column("method")
        batch_op.drop_column("wording")
        batch_op.drop_column("purpose")
        batch_op.drop_column("data_kinds")
        batch_op.drop_column("source")
        batch_op.drop_column("recipient")
        batch_op.drop_column("recipient_kind")

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("rent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_rent_events_kind_on")

    op.drop_table("rent_events")
    op.drop_index("uq_case_tasks_open", table_name="case_tasks")
    with op.batch_alter_table("case_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_tasks_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_case_tasks_case_id"))
        batch_op.drop_index(batch_op.f("ix_case_tasks_assignee_id"))

    op.drop_table("case_tasks")
    op.drop_table("report_baselines")
    with op.batch_alter_table("court_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_court_cases_tenant_id"))

    op.drop_table("court_cases")
