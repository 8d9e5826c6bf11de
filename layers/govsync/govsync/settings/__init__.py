"""Settings per capability: each setting declared once (`settings.blocks`, with `settings.declare`), each
function's settings made of the blocks it needs (`settings.functions`), read once from its environment."""

from govsync.settings.blocks import Common, QueueConsumer, Queued, StageChain, Targets
from govsync.settings.capabilities import (
    Approvals,
    Copies,
    Dashboard,
    Gates,
    MetricsCollection,
    MonitoringThresholds,
    UseCaseStages,
    WorkQueue,
)
from govsync.settings.declare import ConfigurationError, SettingsModel
from govsync.settings.evidence import Anchoring, AnchorReading, LineageSources, Notifying
from govsync.settings.functions import (
    FUNCTION_SETTINGS,
    AnchorSettings,
    ApiSettings,
    DeploySettings,
    DueDatesSettings,
    MetricsSettings,
    ReconcileSettings,
    StatusSettings,
    SyncSettings,
    forget_settings,
    settings_for,
)

__all__ = [
    "FUNCTION_SETTINGS",
    "AnchorReading",
    "AnchorSettings",
    "Anchoring",
    "ApiSettings",
    "Approvals",
    "Common",
    "ConfigurationError",
    "Copies",
    "Dashboard",
    "DeploySettings",
    "DueDatesSettings",
    "Gates",
    "LineageSources",
    "MetricsCollection",
    "MetricsSettings",
    "MonitoringThresholds",
    "Notifying",
    "QueueConsumer",
    "Queued",
    "ReconcileSettings",
    "SettingsModel",
    "StageChain",
    "StatusSettings",
    "SyncSettings",
    "Targets",
    "UseCaseStages",
    "WorkQueue",
    "forget_settings",
    "settings_for",
]
