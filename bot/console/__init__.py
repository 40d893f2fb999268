"""The staff console under /console/: server-rendered pages for advisers, volunteers and admins.

Its stylesheet and scripts are files in `templates/console/static/`, served by the app at `/console/static/`
(no page has an inline script or style: the Content-Security-Policy forbids them).
"""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """Every console route, each reading the ids in its address one way (`ids.read_row_ids`); the app mounts them next
    to the webhooks."""
    from bot.console import (
        activity,
        admin,
        api_keys,
        audit,
        caretaker,
        case_actions,
        case_page,
        consents,
        court,
        data_rights,
        inbox,
        login,
        outcomes,
        referrals,
        report,
        staff_admin,
        tenant_page,
        volunteer,
    )
    from bot.console.ids import read_row_ids

    return read_row_ids(
        [
            *login.routes(),
            *inbox.routes(),
            *case_page.routes(),
            *case_actions.routes(),
            *court.routes(),
            *consents.routes(),
            *referrals.routes(),
            *tenant_page.routes(),
            *outcomes.routes(),
            *report.routes(),
            *data_rights.routes(),
            *volunteer.routes(),
            *caretaker.routes(),
            *activity.routes(),
            *staff_admin.routes(),
            *admin.routes(),
            *api_keys.routes(),
            *audit.routes(),
        ]
    )
