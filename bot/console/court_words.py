"""The words the case page and the tenant's page show for a court case's stored codes (msgids: the templates translate
them); apart from bot/console/court.py, whose forms come back at themselves on the case page, so the case page can
name them without an import circle."""

from __future__ import annotations

from bot.i18n import N_

__all__ = ["MEETING_LABELS", "OUTCOME_LABELS", "STEP_LABELS"]

# The words the case page shows for the stored codes (msgids: the template translates them).
OUTCOME_LABELS = {
    "called_off": N_("called off (after payment or agreement)"),
    "postponed": N_("postponed"),
    "carried_out": N_("carried out by the fogedret"),
    "moved_out": N_("the tenant moved out"),
}
MEETING_LABELS = {"court": N_("at the court"), "address": N_("at the address")}
# The steps of the rent path (rent_events.kind).
STEP_LABELS = {
    "demand": N_("påkrav sent"),
    "termination": N_("termination (ophævelse)"),
    "filing": N_("filed with the fogedret"),
    "court_date": N_("court date"),
    # A court date that is no longer the court date (bot.tenants.court.Step.shown).
    "court_date_moved": N_("court date (moved)"),
    "court_date_called_off": N_("court date (called off)"),
    "postponed": N_("court date postponed"),
    "called_off": N_("eviction called off"),
    "carried_out": N_("eviction carried out"),
    "moved_out": N_("moved out"),
    "kommune_notified": N_("kommune notified"),
}
