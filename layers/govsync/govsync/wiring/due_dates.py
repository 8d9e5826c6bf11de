"""DueDatesFunction: the table's pending and live records against their due dates, told on the topic."""

from __future__ import annotations

from govsync.services.due_dates import DueDates
from govsync.settings import DueDatesSettings, settings_for
from govsync.wiring.built import built_once
from govsync.wiring.store import notified_store


@built_once
def due_dates() -> DueDates:
    settings = settings_for(DueDatesSettings)
    return DueDates(settings.cadence, settings.stages, notified_store(settings))
