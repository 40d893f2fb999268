"""Consents per recipient and purpose, and the one gate every sharing beyond the § 92 notice goes through.

A consent names who receives (the organisation's own advisers; a named kommune unit; a named volunteer
organisation), from which source, which kinds of data, for what purpose and for which case
(retssikkerhedsloven § 11 a: a general consent is not enough). The organisation's own consent is the scope
"adviser" (a yes in a conversation, or recorded by an adviser); a consent to share with anyone else is the
scope "share", given on Telegram to its full wording (`conversations/flows/share_consent.py`) or on a signed
form the adviser records. Oral consent covers only the adviser's own advice. A kommune consent covers one
case and lapses when that case closes (`ended_reason` case_closed).

`may_share` is the gate: the referral, its printable page and its download ask it for every kind of data they
show, at the moment they show it, so a withdrawn or lapsed consent stops the next request. A volunteer is a
person of a volunteer organisation (their staff row names it): a case's task or an appointment goes to them only
when the tenant's consent lets their contact — and, for an appointment at their home, their address — go to
that organisation for the case (`require_volunteer_consent`), and stays in their list only while that consent
stands (`volunteer_sees`): a withdrawn or lapsed consent takes it out at the next view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from bot.i18n import N_, Explained
from bot.store.schema import cases, consents, staff, tenants
from bot.tenants.case_closing import OPEN_STATUSES
from conversations.effects import SHARE_SCOPE

__all__ = [
    "ADVISER_SCOPE",
    "DATA_KINDS",
    "METHODS",
    "RECIPIENT_KINDS",
    "SHARE_SCOPE",
    "ConsentRefused",
    "active_recipients",
    "matching_consents",
    "may_share",
    "record_consent",
    "require_volunteer_consent",
    "same_recipient",
    "volunteer_refusals",
    "volunteer_sees",
    "withdraw_consent",
]

# The consent that lets the organisation's advisers read the tenant's answers.
ADVISER_SCOPE = "adviser"

# The kinds of data a consent can name (a fixed list: the adviser ticks them; the tenant reads them in words).
DATA_KINDS = ("rent_position", "letters", "household", "contact", "conversation")
RECIPIENT_KINDS = ("organisation", "kommune", "volunteer_org")
# conversation: a yes in a conversation; telegram: the full wording on Telegram; signed_form: recorded by the
# adviser from a form the tenant signed; oral: told to the adviser (the organisation's own advice only).
METHODS = ("conversation", "telegram", "signed_form", "oral")


class ConsentRefused(Explained, ValueError):
    """A consent that may not be recorded this way (oral consent to share with a kommune, say)."""


def _folded(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def same_recipient(a: str | None, b: str | None) -> bool:
    """Two spellings of one recipient: case and spacing aside."""
    return _folded(a) == _folded(b)


def _active(tenant_id: int) -> Any:
    return select(consents).where(consents.c.tenant_id == tenant_id, consents.c.withdrawn_at.is_(None))


def matching_consents(
    conn: Connection,
    tenant_id: int,
    case_id: int,
    recipient_kind: str,
    recipient: str | None,
    data_kind: str,
    now: datetime,
) -> list[Any]:
    """The active consents that let this kind of data go to this recipient for this case, as of `now`."""
    if recipient_kind == "organisation":
        query = _active(tenant_id).where(consents.c.scope == ADVISER_SCOPE, consents.c.given_at <= now)
        return list(conn.execute(query).all())
    case = conn.execute(select(cases.c.tenant_id, cases.c.status).where(cases.c.id == case_id)).first()
    if case is None or case.tenant_id != tenant_id or case.status not in OPEN_STATUSES:
        return []  # a closed case shares nothing, even before its consents are marked lapsed
    query = _active(tenant_id).where(
        consents.c.scope == SHARE_SCOPE,
        consents.c.recipient_kind == recipient_kind,
        consents.c.case_id == case_id,
        consents.c.given_at <= now,
    )
    found = []
    for row in conn.execute(query).all():
        kinds = row.data_kinds if isinstance(row.data_kinds, list) else []
        if same_recipient(row.recipient, recipient) and data_kind in kinds:
            found.append(row)
    return found


def may_share(
    conn: Connection,
    tenant_id: int,
    case_id: int,
    recipient_kind: str,
    recipient: str | None,
    data_kind: str,
    now: datetime,
) -> bool:
    """Whether this kind of data may go to this recipient for this case now: only with a matching active consent
    (the recipient, the case and the kind all named in it, not withdrawn, not lapsed)."""
    return bool(matching_consents(conn, tenant_id, case_id, recipient_kind, recipient, data_kind, now))


def record_consent(
    conn: Connection,
    *,
    tenant_id: int,
    case_id: int | None,
    recipient_kind: str,
    recipient: str | None,
    source: str | None,
    data_kinds: Sequence[str],
    purpose: str | None,
    wording: str | None,
    method: str,
    recorded_by: int | None,
    given_at: datetime,
    now: datetime,
) -> int:
    """Record a consent the adviser took (a signed form, or oral for the organisation's own advice); returns its id.

    The organisation's consent lets the tenant's open cases show their answers, as a yes in a conversation does.
    """
    if recipient_kind not in RECIPIENT_KINDS:
        raise ConsentRefused(N_("unknown recipient kind %(kind)s"), kind=repr(recipient_kind))
    if method not in ("signed_form", "oral"):
        raise ConsentRefused(N_("an adviser records a signed form or oral consent"))
    if method == "oral" and recipient_kind != "organisation":
        raise ConsentRefused(N_("oral consent covers only the organisation's own advice"))
    unknown = [kind for kind in data_kinds if kind not in DATA_KINDS]
    if unknown:
        raise ConsentRefused(N_("unknown kinds of data: %(kinds)s"), kinds=", ".join(unknown))
    organisation = recipient_kind == "organisation"
    if not organisation and (not recipient or not data_kinds or not purpose or case_id is None):
        raise ConsentRefused(N_("a consent to share names the recipient, the kinds of data, the purpose and the case"))
    row = {
        "tenant_id": tenant_id,
        "scope": ADVISER_SCOPE if organisation else SHARE_SCOPE,
        "wording_version": method,
        "given_at": given_at,
        "recipient_kind": recipient_kind,
        "recipient": None if organisation else recipient,
        "source": source,
        "data_kinds": list(data_kinds) or None,
        "purpose": purpose or None,
        "wording": wording or None,
        "method": method,
        "case_id": case_id,
        "recorded_by": recorded_by,
    }
    # The same consent, standing already (a double click on the form, the same form recorded twice): that one,
    # not a second row a withdrawal of the first would leave standing.
    same = [
        consents.c[name].is_(None) if value is None else consents.c[name] == value
        for name, value in row.items()
        if name != "data_kinds"
    ]
    standing = conn.execute(
        select(consents.c.id, consents.c.data_kinds).where(*same, consents.c.withdrawn_at.is_(None))
    ).all()
    for found in standing:
        if sorted(found.data_kinds or []) == sorted(data_kinds):
            return int(found.id)
    consent_id = int(conn.execute(consents.insert().returning(consents.c.id), row).scalar_one())
    if organisation:
        open_cases = cases.c.tenant_id == tenant_id, cases.c.status.in_(OPEN_STATUSES)
        conn.execute(update(cases).where(*open_cases).values(consented=True, updated_at=now))
    return consent_id


def withdraw_consent(conn: Connection, consent_id: int, now: datetime) -> bool:
    """End one consent at once (the tenant told the adviser); False when it had ended already. Ending the last of
    the organisation's consents stops the open cases showing the tenant's answers."""
    row = conn.execute(select(consents).where(consents.c.id == consent_id)).first()
    if row is None or row.withdrawn_at is not None:
        return False
    conn.execute(update(consents).where(consents.c.id == consent_id).values(withdrawn_at=now, ended_reason="withdrawn"))
    if row.scope == ADVISER_SCOPE:
        left = conn.execute(_active(row.tenant_id).where(consents.c.scope == ADVISER_SCOPE)).first()
        if left is None:
            open_cases = cases.c.tenant_id == row.tenant_id, cases.c.status.in_(OPEN_STATUSES)
            conn.execute(update(cases).where(*open_cases).values(consented=False, updated_at=now))
    return True


def active_recipients(conn: Connection, tenant_id: int) -> list[tuple[str, str | None]]:
    """The recipients of the tenant's active consents to share, oldest first, each once: what the withdrawal
    word lists (the organisation's own consent is known apart)."""
    query = (
        _active(tenant_id)
        .with_only_columns(consents.c.recipient_kind, consents.c.recipient)
        .where(consents.c.scope == SHARE_SCOPE)
        .order_by(consents.c.id)
    )
    seen: list[tuple[str, str | None]] = []
    for kind, recipient in conn.execute(query).all():
        if not any(kind == k and same_recipient(recipient, r) for k, r in seen):
            seen.append((str(kind), recipient))
    return seen


def _folded_place(text: str | None) -> str:
    return " ".join((text or "").replace(",", " ").split()).casefold()


def require_volunteer_consent(
    conn: Connection, case_id: int, volunteer_id: int, now: datetime, *, place: str | None = None
) -> str:
    """Refuse (ConsentRefused, saying what consent is needed and how to ask for it) unless the tenant's active consent
    lets what a volunteer sees go to the volunteer's organisation for this case: the tenant's contact (their first
    name and how they are reached), and their address too when `place`, an appointment's, is the tenant's address.
    Returns the organisation's name."""
    organisation = conn.execute(select(staff.c.organisation).where(staff.c.id == volunteer_id)).scalar_one_or_none()
    if not organisation:
        raise ConsentRefused(
            N_(
                "The volunteer's organisation is not recorded, so no consent can name it: an admin records it on "
                "the Staff page."
            )
        )
    case = conn.execute(
        select(cases.c.tenant_id, tenants.c.address)
        .join(tenants, tenants.c.id == cases.c.tenant_id)
        .where(cases.c.id == case_id)
    ).first()
    if case is None:
        raise ConsentRefused(N_("The case is closed."))
    at_home = place is not None and bool(case.address) and _folded_place(place) == _folded_place(case.address)
    kinds = ("contact", "household") if at_home else ("contact",)
    if all(may_share(conn, case.tenant_id, case_id, "volunteer_org", organisation, kind, now) for kind in kinds):
        return str(organisation)
    if at_home:
        raise ConsentRefused(
            N_(
                "A volunteer of %(organisation)s would see the tenant's first name, contact and address: that needs "
                "the tenant's consent to share their contact and household (address) with %(organisation)s for this "
                "case. Ask for it under Consents on this page (on Telegram), or record the form the tenant signed."
            ),
            organisation=organisation,
        )
    raise ConsentRefused(
        N_(
            "A volunteer of %(organisation)s would see the tenant's first name and contact: that needs the tenant's "
            "consent to share their contact with %(organisation)s for this case. Ask for it under Consents on this "
            "page (on Telegram), or record the form the tenant signed."
        ),
        organisation=organisation,
    )


def volunteer_refusals(
    conn: Connection, case_id: int, volunteer_ids: Sequence[int], now: datetime
) -> dict[int, ConsentRefused]:
    """Why this case's task, or an appointment away from the tenant's home, would be refused to each of these
    volunteers (`require_volunteer_consent`); one it may go to is not in it. What the case page's choice of a
    volunteer shows before anything is sent."""
    refused: dict[int, ConsentRefused] = {}
    for volunteer_id in volunteer_ids:
        try:
            require_volunteer_consent(conn, case_id, volunteer_id, now)
        except ConsentRefused as refusal:
            refused[volunteer_id] = refusal
    return refused


def volunteer_sees(
    conn: Connection, case_id: int, volunteer_id: int, now: datetime, *, place: str | None = None
) -> bool:
    """Whether the volunteer may still see this case's task, or its appointment at `place`: the consent
    `require_volunteer_consent` asked for when it was given still stands."""
    try:
        require_volunteer_consent(conn, case_id, volunteer_id, now, place=place)
    except ConsentRefused:
        return False
    return True
