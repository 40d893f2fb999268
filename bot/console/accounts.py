"""Staff accounts: roles, argon2id passwords and one-time links to set a password."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import N_, Explained, Labels
from bot.store.audit import record_entry
from bot.store.db import Database
from bot.store.schema import login_attempts, staff, staff_sessions

__all__ = [
    "HOME_OF",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "ROLE_LABELS",
    "SETUP_LINK_HOURS",
    "StaffError",
    "add_staff",
    "as_checked",
    "change_password",
    "create_staff",
    "deactivate_staff",
    "ensure_demo_staff",
    "hash_password",
    "hash_token",
    "issue_setup_link",
    "reactivate_staff",
    "redeem_setup_token",
    "reset_access",
    "reset_password",
    "set_name",
    "set_organisation",
    "set_role",
    "verify_password",
]

ROLES = ("admin", "adviser", "volunteer", "caretaker")
# The restricted roles see only their own page (no inbox, no case, no tenant): where signing in takes them.
HOME_OF = {"volunteer": "/console/tasks", "caretaker": "/console/visits"}
# Each role as the console names it (translated where it is shown); a role missing here is shown by its code.
ROLE_LABELS = {
    "admin": N_("admin"),
    "adviser": N_("adviser"),
    "volunteer": N_("volunteer"),
    "caretaker": N_("caretaker"),
}
SETUP_LINK_HOURS = 72
MIN_PASSWORD_LENGTH = 12
# The longest password a form takes (sign-in reads no more of one; argon2 need not hash a pasted book).
MAX_PASSWORD_LENGTH = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# argon2-cffi's defaults are argon2id (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# What an account without a password is checked against, so that it costs the time a wrong password does: a hash
# made once at the hasher's parameters (hashing it at import cost every keephome process about 0.15 s; a test keeps
# it at the hasher's parameters, `check_needs_rehash`).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$2+pECTngfbzIPDQLpnRosQ$tbgJBBcML1CkLXJBbtpCdT2wGIbebk0FPp3j6yi9fRA"


class StaffError(Explained, ValueError):
    """A staff change that cannot be made, with a message to show the person."""


class AccountExists(StaffError):
    """An account for this e-mail address exists already (the console's form sent twice, or a second person);
    `active` is False for a deactivated account (it is reactivated on its row, `reactivate_staff`)."""

    def __init__(self, email: str, active: bool = True) -> None:
        super().__init__(N_("a staff account for %(email)s already exists"), email=email)
        self.email = email
        self.active = active


def hash_token(token: str) -> str:
    """What the database keeps of a setup token or a session cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


async def hash_password(password: str) -> str:
    """An argon2id hash, computed off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; an account without a password costs the same time as a wrong one."""

    def check() -> bool:
        try:
            return bool(_hasher.verify(password_hash or _DUMMY_HASH, password)) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def _check(email: str, role: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 200:
        raise StaffError(N_("not a valid e-mail address: %(email)s"), email=email)
    _known_role(role)
    return email


def _setup_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/console/setup/{token}"


async def issue_setup_link(conn: AsyncConnection, staff_id: int, now: datetime, public_url: str) -> str:
    """A new one-time link to set a password; any earlier link stops working."""
    token = secrets.token_urlsafe(32)
    await conn.execute(
        update(staff)
        .where(staff.c.id == staff_id)
        .values(setup_token_hash=hash_token(token), setup_expires_at=now + timedelta(hours=SETUP_LINK_HOURS))
    )
    return _setup_link(public_url, token)


def _organisation(name: str | None) -> str | None:
    """A volunteer organisation's name as kept (spaces tidied), or None for none."""
    tidy = " ".join((name or "").split())
    if len(tidy) > 200:
        raise StaffError(N_("the organisation's name is longer than 200 characters"))
    return tidy or None


def _person_name(name: str | None) -> str | None:
    """A staff member's name as kept (spaces tidied), or None for none: then the console shows their e-mail."""
    tidy = " ".join((name or "").split())
    if len(tidy) > 200:
        raise StaffError(N_("the name is longer than 200 characters"))
    return tidy or None


async def create_staff(
    conn: AsyncConnection,
    email: str,
    role: str,
    now: datetime,
    public_url: str,
    actor: str = "cli",
    *,
    organisation: str | None = None,
    name: str | None = None,
) -> tuple[int, str]:
    """Create an account without a password; returns its id and the one-time setup link. `organisation` is a
    volunteer's organisation: the recipient a tenant's consent must name before a case goes to them."""
    email = _check(email, role)
    taken = (await conn.execute(select(staff.c.active).where(func.lower(staff.c.email) == email))).first()
    if taken is not None:
        raise AccountExists(email, active=bool(taken.active))
    row = {"email": email, "role": role, "active": True, "failed_logins": 0, "notify_telegram": False}
    staff_id = int(
        (
            await conn.execute(
                staff.insert()
                .values(**row, name=_person_name(name), organisation=_organisation(organisation), created_at=now)
                .returning(staff.c.id)
            )
        ).scalar_one()
    )
    await record_entry(conn, at=now, actor=actor, action="staff.add", target=f"staff:{staff_id}", detail=f"role={role}")
    return staff_id, await issue_setup_link(conn, staff_id, now, public_url)


async def add_staff(
    db: Database,
    email: str,
    role: str,
    now: datetime,
    public_url: str,
    organisation: str | None = None,
    name: str | None = None,
) -> str:
    """Create a staff account (the CLI's `staff add`) and return the one-time link to set a password."""
    async with db.write() as conn:
        _, link = await create_staff(conn, email, role, now, public_url, organisation=organisation, name=name)
    return link


async def set_organisation(
    conn: AsyncConnection, staff_id: int, organisation: str | None, now: datetime, actor: str
) -> None:
    """Record (or clear) the volunteer organisation a person belongs to; audited with the name (no personal data)."""
    name = _organisation(organisation)
    done = await conn.execute(update(staff).where(staff.c.id == staff_id).values(organisation=name))
    if not done.rowcount:
        raise StaffError(N_("no such staff account"))
    await record_entry(conn, now, actor, "staff.organisation", f"staff:{staff_id}", f"organisation={name or ''}")


async def set_name(conn: AsyncConnection, staff_id: int, name: str | None, now: datetime, actor: str) -> None:
    """Record (or clear) the name the console shows for a person; audited without the name itself."""
    done = await conn.execute(update(staff).where(staff.c.id == staff_id).values(name=_person_name(name)))
    if not done.rowcount:
        raise StaffError(N_("no such staff account"))
    await record_entry(conn, now, actor, "staff.name", f"staff:{staff_id}")


# What a recovery or a return ends besides the sessions: the password, and the Telegram chat notices go to (on a lost
# phone it would go on getting tenants' first names); the person connects a chat again from "Me".
_ACCESS_ENDED: dict[str, Any] = {
    "password_hash": None,
    "telegram_chat_id": None,
    "notify_telegram": False,
    "telegram_code_hash": None,
    "telegram_code_expires_at": None,
}


async def reset_access(
    conn: AsyncConnection, staff_id: int, now: datetime, public_url: str, actor: str
) -> tuple[str, str] | None:
    """Recovery of an active account (a password forgotten or leaked, a phone lost): its password and any earlier
    link stop working, every session of it ends, its Telegram notices stop until a chat is connected again, and a
    new one-time link to set a password is made. Audited as `staff.password_reset`. Returns the account's e-mail and
    the link; None when there is no such active account."""
    email = (
        await conn.execute(
            update(staff)
            .where(staff.c.id == staff_id, staff.c.active.is_(True))
            .values(**_ACCESS_ENDED)
            .returning(staff.c.email)
        )
    ).scalar()
    if email is None:
        return None
    await conn.execute(update(staff_sessions).where(staff_sessions.c.staff_id == staff_id).values(revoked=True))
    link = await issue_setup_link(conn, staff_id, now, public_url)
    await record_entry(conn, at=now, actor=actor, action="staff.password_reset", target=f"staff:{staff_id}")
    return str(email), link


async def reset_password(db: Database, email: str, now: datetime, public_url: str, actor: str = "cli") -> str:
    """`keephome staff reset-password`: `reset_access` for the active account of this e-mail; returns the link. A
    deactivated account is refused (AccountExists, not active): it comes back by reactivation, in a role chosen."""
    address = email.strip().lower()
    async with db.write() as conn:
        found = (
            await conn.execute(select(staff.c.id, staff.c.active).where(func.lower(staff.c.email) == address))
        ).first()
        if found is not None and not found.active:
            raise AccountExists(address, active=False)
        reset = None if found is None else await reset_access(conn, int(found.id), now, public_url, actor)
        if reset is None:
            raise StaffError(N_("no active staff account for %(email)s"), email=address)
    return reset[1]


async def redeem_setup_token(conn: AsyncConnection, token: str, now: datetime, password_hash: str | None) -> Any | None:
    """The active account a setup token belongs to; with a password hash, set it and spend the token.

    Hash the password (`hash_password`) before the transaction: argon2 takes a noticeable moment.
    """
    row = (
        await conn.execute(
            select(staff).where(
                staff.c.setup_token_hash == hash_token(token),
                staff.c.setup_expires_at > now,
                staff.c.active.is_(True),
            )
        )
    ).first()
    if row is None or password_hash is None:
        return row
    await conn.execute(
        update(staff)
        .where(staff.c.id == row.id)
        .values(
            password_hash=password_hash,
            setup_token_hash=None,
            setup_expires_at=None,
            failed_logins=0,
            locked_until=None,
        )
    )
    await conn.execute(update(staff_sessions).where(staff_sessions.c.staff_id == row.id).values(revoked=True))
    await record_entry(conn, at=now, actor=f"staff:{row.id}", action="staff.password_set", target=f"staff:{row.id}")
    return row


async def as_checked(conn: AsyncConnection, staff_id: int, checked_hash: str) -> bool:
    """Whether the account is still active with the password just checked against `checked_hash`, its row locked
    until the transaction ends. A recovery that landed during the check (a password set from a new link, `staff
    reset-password`, a deactivation and reactivation, a change under "Me") ended every session there was: what
    follows the check (a sign-in's session, a change of password) must not act on the old password after it."""
    row = (
        await conn.execute(
            select(staff.c.password_hash, staff.c.active).where(staff.c.id == staff_id).with_for_update()
        )
    ).first()
    return row is not None and bool(row.active) and row.password_hash == checked_hash


async def change_password(
    conn: AsyncConnection, staff_id: int, checked_hash: str, password_hash: str, keep_session: str, now: datetime
) -> bool:
    """A person changes their own password ("Me"): when the account is still as it was checked (`as_checked`), set
    the new one and end every other session of theirs, keeping `keep_session` (the one they changed it in). Audited.
    False, changing nothing, when the password changed meanwhile or the account was closed.

    Hash the new password (`hash_password`) before the transaction: argon2 takes a noticeable moment.
    """
    if not await as_checked(conn, staff_id, checked_hash):
        return False
    await conn.execute(update(staff).where(staff.c.id == staff_id).values(password_hash=password_hash))
    await conn.execute(
        update(staff_sessions)
        .where(staff_sessions.c.staff_id == staff_id, staff_sessions.c.id != keep_session)
        .values(revoked=True)
    )
    await record_entry(
        conn, at=now, actor=f"staff:{staff_id}", action="staff.password_change", target=f"staff:{staff_id}"
    )
    return True


def _known_role(role: str) -> None:
    if role not in ROLES:
        raise StaffError(
            N_("unknown role %(role)s: choose one of %(roles)s"), role=role, roles=Labels(ROLE_LABELS[r] for r in ROLES)
        )


async def _keep_an_admin(conn: AsyncConnection, staff_id: int) -> None:
    """Refuse a change that would leave no active admin (nobody could then manage staff or keys in the console).
    The active admins' rows are locked first: two admins deactivating each other at once cannot both pass."""
    admins = (
        await conn.execute(
            select(staff.c.id).where(staff.c.role == "admin", staff.c.active.is_(True)).with_for_update()
        )
    ).scalars()
    if set(admins) == {staff_id}:
        raise StaffError(N_("keephome needs at least one active admin: make another person an admin first"))


async def _set_status(conn: AsyncConnection, staff_id: int, was_active: bool | None = None, **values: Any) -> bool:
    """The one writer of a person's role and whether they are active: their sessions end with any change, so the
    new rights apply at once. The last active admin stays one (`_keep_an_admin`). With `was_active`, only an account
    in that state changes, checked in the same statement (two admins at once: the second finds it changed): False,
    and nothing written, when it is not."""
    if values.get("active") is False or values.get("role", "admin") != "admin":
        await _keep_an_admin(conn, staff_id)
    change = update(staff).where(staff.c.id == staff_id)
    if was_active is not None:
        change = change.where(staff.c.active.is_(was_active))
    if not (await conn.execute(change.values(**values))).rowcount:
        if was_active is None or (await conn.execute(select(staff.c.id).where(staff.c.id == staff_id))).first() is None:
            raise StaffError(N_("no such staff account"))
        return False
    await conn.execute(update(staff_sessions).where(staff_sessions.c.staff_id == staff_id).values(revoked=True))
    return True


async def set_role(conn: AsyncConnection, staff_id: int, role: str, now: datetime, actor: str) -> str:
    """Change a role; the person's sessions end so the new rights apply at once. Returns the role they had."""
    _known_role(role)
    found = (await conn.execute(select(staff.c.role, staff.c.active).where(staff.c.id == staff_id))).first()
    if found is None:
        raise StaffError(N_("no such staff account"))
    if not found.active:
        # A page opened before the person was deactivated: their role is chosen when they are reactivated.
        raise StaffError(N_("this account is deactivated: its role is chosen when it is reactivated, on its row"))
    old = found.role
    if old == role:
        return str(old)
    await _set_status(conn, staff_id, role=role)
    await record_entry(
        conn, at=now, actor=actor, action="staff.role_change", target=f"staff:{staff_id}", detail=f"{old}->{role}"
    )
    return str(old)


async def deactivate_staff(conn: AsyncConnection, staff_id: int, now: datetime, actor: str) -> bool:
    """Deactivate an account and end every session it has, at once. False, and nothing written, when it is
    deactivated already (a form sent twice, a list opened before another admin deactivated the person): one audit
    entry a deactivation."""
    if not await _set_status(conn, staff_id, was_active=True, active=False):
        return False
    await record_entry(conn, at=now, actor=actor, action="staff.deactivate", target=f"staff:{staff_id}")
    return True


async def reactivate_staff(
    conn: AsyncConnection, staff_id: int, role: str, now: datetime, public_url: str, actor: str
) -> tuple[str, str]:
    """Make a deactivated account active again in the role chosen; returns its e-mail and a one-time link to set a
    password. The password it had stops working (the person sets a new one from the link, as a new person does).
    Audited with the role. An account that is active already is refused (AccountExists): a form sent twice makes
    no second link, and an active person's new link is made on their row. Notices go to a Telegram chat they connect
    again, not to the one they had."""
    _known_role(role)
    row = (
        await conn.execute(select(staff.c.email, staff.c.active).where(staff.c.id == staff_id).with_for_update())
    ).first()
    if row is None:
        raise StaffError(N_("no such staff account"))
    if row.active:
        raise AccountExists(str(row.email))
    await _set_status(conn, staff_id, active=True, role=role, failed_logins=0, locked_until=None, **_ACCESS_ENDED)
    await record_entry(
        conn, at=now, actor=actor, action="staff.reactivate", target=f"staff:{staff_id}", detail=f"role={role}"
    )
    return str(row.email), await issue_setup_link(conn, staff_id, now, public_url)


DEMO_STAFF = (
    ("admin", "admin@demo.keephome.invalid"),
    ("adviser", "adviser@demo.keephome.invalid"),
    ("volunteer", "volunteer@demo.keephome.invalid"),
    ("caretaker", "caretaker@demo.keephome.invalid"),
)
# The demo's volunteer belongs to a volunteer organisation (a made-up one): a tenant's consent names it.
DEMO_VOLUNTEER_ORGANISATION = "Frivilligrådgivningen (demo)"


async def ensure_demo_staff(db: Database, now: datetime) -> list[tuple[str, str, str]]:
    """The demo's four accounts, each with a fresh password printed at start-up (and no wait left over
    from wrong passwords typed in an earlier run)."""
    logins: list[tuple[str, str, str]] = []
    async with db.write() as conn:
        await conn.execute(delete(login_attempts).where(login_attempts.c.kind == "account"))
        for role, email in DEMO_STAFF:
            password = secrets.token_urlsafe(9)
            hashed = await hash_password(password)
            existing = (
                await conn.execute(select(staff.c.id, staff.c.role, staff.c.active).where(staff.c.email == email))
            ).first()
            if existing is None:
                organisation = DEMO_VOLUNTEER_ORGANISATION if role == "volunteer" else None
                staff_id, _ = await create_staff(
                    conn, email, role, now, "http://127.0.0.1", actor="demo", organisation=organisation
                )
            else:
                staff_id = int(existing.id)
                if existing.role != role or not existing.active:  # changed in the console meanwhile: as it was
                    await _set_status(conn, staff_id, role=role, active=True)
            await conn.execute(
                staff.update()
                .where(staff.c.id == staff_id)
                .values(password_hash=hashed, failed_logins=0, locked_until=None)
            )
            logins.append((role, email, password))
    return logins
