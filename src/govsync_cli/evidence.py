"""govsync audit anchor / verify-pack, and the anchors' side of `govsync audit verify --anchored`: the
evidence that stands outside the table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from govsync_cli.base import EXIT_FAILED, EXIT_OK, CliError, emit

ANCHOR_FUNCTION = "AuditAnchorFunction"


def anchoring(args: argparse.Namespace) -> Any:
    """The anchoring service as AuditAnchorFunction has it: its table, bucket and log group."""
    from govsync_cli.jobs import function_environment, use_environment

    use_environment(function_environment(args, ANCHOR_FUNCTION), quiet=not getattr(args, "verbose", False))
    from govsync.wiring.anchor import anchoring as built

    return built()


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    """Seal every chain's head into the next anchor now, as the scheduled function does."""
    print("checking the table against the last anchor, then anchoring every chain head", file=sys.stderr)
    written = anchoring(args).anchor()
    findings = written["findings"]
    text = (
        f"anchor {written['seq']}: {written['versions']} versions, {written['entries']} entries, root "
        f"{written['root'][:16]}… at {written['location']}" + "".join(f"\n  found: {finding}" for finding in findings)
    )
    emit(args, written, text)
    return EXIT_FAILED if findings else EXIT_OK


def anchored_check(args: argparse.Namespace) -> Any:
    return anchoring(args).check()


def describe_check(check: Any) -> str:
    latest = check.latest
    if latest is None:
        head = "no anchor yet (govsync audit anchor writes the first)"
    else:
        anchors = f"{check.anchors} anchor" + ("" if check.anchors == 1 else "s")
        head = (f"{anchors}; the latest, {latest.seq} ({latest.created_at}), sealed {latest.versions} versions; "
                f"{max(len(check.heads) - latest.versions, 0)} versions not anchored yet")  # fmt: skip
    lines = [head]
    lines += [f"  against the anchors: {problem}" for problem in check.problems]
    lines += [f"  recorded in {finding}" for finding in check.recorded]
    lines.append("the table agrees with its anchors" if check.ok else "the table does NOT agree with its anchors")
    return "\n".join(lines)


def cmd_audit_verify_pack(args: argparse.Namespace) -> int:
    """Check an auditor's pack on its own: no AWS access at all."""
    from govsync.domain.pack_check import check_pack

    path = Path(args.file)
    try:
        pack: Any = json.loads(path.read_text() if args.file != "-" else sys.stdin.read())
    except FileNotFoundError:
        raise CliError(f"{args.file}: no such file") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"{args.file} is not a JSON pack: {exc}") from None
    problems, checked = check_pack(pack)
    anchor = pack.get("anchor") if isinstance(pack, dict) else None
    summary = {"ok": not problems, "problems": problems, "checked": checked,
               "anchor": {k: anchor.get(k) for k in ("seq", "created_at", "root")} if anchor else None}  # fmt: skip
    text = (
        f"{checked.get('entries', 0)} entries, {checked.get('chains', 0)} chains, {checked.get('proofs', 0)} "
        f"proofs to anchor {anchor['seq'] if anchor else '(none in the pack)'}: "
        + ("the pack holds" if not problems else f"{len(problems)} problems")
        + "".join(f"\n  {problem}" for problem in problems)
    )
    emit(args, summary, text)
    return EXIT_FAILED if problems else EXIT_OK
