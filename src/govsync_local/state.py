"""The local AWS's state on disk: every service the local stack uses, saved as one snapshot (so an
object two services share stays one object) every few seconds and on a clean stop, and restored
before a restarted stack serves its first request.

A snapshot is written to a temporary file and renamed over the last one, so a hard kill leaves the
previous snapshot whole: it loses at most the last interval's changes, which `govsync reconcile`
repairs from the registry.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# what the local stack uses; anything else starts empty after a restart
SERVICES = (
    "cloudformation", "cloudwatch", "cognitoidp", "dynamodb", "events", "iam", "kms", "logs", "ram",
    "s3", "sagemaker", "scheduler", "secretsmanager", "sns", "sqs", "ssm", "sts",
)  # fmt: skip
SNAPSHOT = "moto-state.pickle"
FORMAT = 1  # bumped when a snapshot of an older govsync cannot be read


class StateError(Exception):
    """The saved state cannot be read (another moto version, a damaged file)."""


def _new_rlock() -> Any:
    return threading.RLock()


def _new_lock() -> Any:
    return threading.Lock()


def _private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, password=None)


class _Pickler(pickle.Pickler):
    """Locks become new locks; private keys (Cognito's signing key, KMS key material) PEM text."""

    _RLOCK = type(threading.RLock())
    _LOCK = type(threading.Lock())

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._RLOCK):
            return _new_rlock, ()
        if isinstance(obj, self._LOCK):
            return _new_lock, ()
        if hasattr(obj, "private_bytes") and hasattr(obj, "public_key"):
            from cryptography.hazmat.primitives import serialization

            pem = obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (pem,)
        return NotImplemented


def _backends() -> dict[str, Any]:
    from moto.backends import get_backend

    return {name: get_backend(name) for name in SERVICES}  # type: ignore[call-overload]


class StateStore:
    """`folder`/moto-state.pickle: save (atomically), restore, and a saver thread."""

    def __init__(self, folder: Path, interval: float = 5.0) -> None:
        self.folder = folder
        self.path = folder / SNAPSHOT
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.saved_at: float | None = None

    def exists(self) -> bool:
        return self.path.exists()

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def save(self) -> None:
        """One snapshot of every service (retried while a request changes a dict under the pickler)."""
        for attempt in range(5):
            buffer = io.BytesIO()
            try:
                _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump({"format": FORMAT, "backends": _backends()})
                break
            except RuntimeError:  # "dictionary changed size during iteration": a request was in flight
                if attempt == 4:
                    raise
                time.sleep(0.05)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        with open(partial, "wb") as out:
            out.write(buffer.getvalue())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)
        self.saved_at = time.time()

    def restore(self) -> None:
        """Put the snapshot's services in place of moto's (before the server takes a request)."""
        try:
            with open(self.path, "rb") as saved:
                snapshot = pickle.load(saved)  # the local stack's own file, in its own folder
        except (OSError, pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError) as exc:
            raise StateError(f"cannot read the local state {self.path}: {exc} (start with --fresh)") from exc
        if not isinstance(snapshot, dict) or snapshot.get("format") != FORMAT:
            raise StateError(f"{self.path} was written by another govsync version (start with --fresh)")
        current = _backends()
        for name, saved_backend in snapshot["backends"].items():
            if name not in current:
                continue
            live = current[name]
            dict.clear(live)
            for account, regions in dict.items(saved_backend):
                dict.__setitem__(live, account, regions)

    def start_saving(self, on_error: Callable[[str], None]) -> None:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.save()
                except Exception as exc:  # keep serving; the next interval tries again
                    on_error(f"saving the local state failed: {type(exc).__name__}: {exc}")

        self._thread = threading.Thread(target=loop, name="state-saver", daemon=True)
        self._thread.start()

    def stop_saving(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
