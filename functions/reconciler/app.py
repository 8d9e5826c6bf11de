"""ReconcilerFunction: on its schedule, the registry listed and every missing or stale record repaired."""

from govsync.handlers import scheduled
from govsync.jobs import RECONCILE

handler = scheduled(RECONCILE)
