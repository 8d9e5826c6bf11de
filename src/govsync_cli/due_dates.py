"""govsync review and govsync due-dates: a person's periodic review of a live model (the governance API's
service, as you), and the DueDatesFunction's run here (reminders sent, reviews marked due or overdue)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from govsync_cli.base import EXIT_FAILED, EXIT_OK, emit, subcommand, version_number
from govsync_cli.decide import _me, _services, refusals_exit
from govsync_cli.jobs import function_environment, use_environment

DUE_DATES_FUNCTION = "DueDatesFunction"


def moment(value: str) -> datetime:
    """An ISO 8601 date or time (UTC when it names no zone), or a time from now: `+25h`, `+80d`."""
    text = value.strip()
    if (ahead := re.fullmatch(r"\+(\d{1,5})([hd])", text)) is not None:
        count, unit = int(ahead[1]), ahead[2]
        return datetime.now(UTC) + (timedelta(hours=count) if unit == "h" else timedelta(days=count))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 date or time (e.g. 2027-03-01T09:00Z) or a time from now (+25h, +80d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@refusals_exit
def cmd_review(args: argparse.Namespace) -> int:
    result = _services(args).reviews().review(_me(), args.group, args.version, args.comment)
    review = result["review"]
    emit(args, result, f"{args.group} v{args.version} {result['stage']} reviewed by {review['last_by']}; the next "
                       f"review is due {review['next_review_due']} (every {review['every_days']} days)")  # fmt: skip
    return EXIT_OK


def cmd_due_dates(args: argparse.Namespace) -> int:
    """DueDatesFunction's run, in this process with its environment."""
    use_environment(function_environment(args, DUE_DATES_FUNCTION), quiet=not args.verbose)
    from govsync.wiring.due_dates import due_dates

    as_of = f" as of {args.as_of.isoformat()}" if args.as_of else ""
    print(f"reminding approvals past their SLA and moving reviews on{as_of}", file=sys.stderr, flush=True)
    result: dict[str, Any] = due_dates().run(args.as_of)
    lines = [
        f"as of {result['as_of']}: {result['waiting']} stages waiting, {result['reminded']} reminded; {result['live']} "
        f"live in the last stage: reviews newly scheduled {result['reviews_scheduled']}, due "
        f"{result['reviews_due']}, overdue {result['reviews_overdue']}; {result['failed']} failed"
    ]
    lines += [f"  failed: {f['model_group']} v{f['model_version']} {f['stage']}: {f['error']}"
              for f in result["failures"]]  # fmt: skip
    emit(args, result, "\n".join(lines))
    return EXIT_FAILED if result["failed"] else EXIT_OK


def add_due_date_commands(commands: Any) -> None:
    p = subcommand(commands, "review", "record a periodic review of a version live in the last stage (as you); "
                   "sets its next due date", cmd_review)  # fmt: skip
    p.add_argument("group"), p.add_argument("version", type=version_number)
    p.add_argument("--comment", required=True, help="what the review found: kept on the record and its audit entry")
    p.add_argument("--verbose", action="store_true", help="the service's own log lines too")
    p = subcommand(commands, "due-dates", "run DueDatesFunction now: remind approvals past their SLA, mark reviews "
                   "due or overdue (each told once)", cmd_due_dates)  # fmt: skip
    p.add_argument("--as-of", type=moment, metavar="TIME",
                   help="judge the due dates at this ISO time, or this far from now (+25h, +80d), instead of now: "
                   "rehearse what comes due by then (what it marks and tells is real; its audit entries carry "
                   "the time it ran)")  # fmt: skip
    p.add_argument("--verbose", action="store_true", help="the function's log lines too")
