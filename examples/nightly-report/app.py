"""A nightly report: runs on a cron schedule (see updraft.yaml).

A schedule invokes it asynchronously with EventBridge's "Scheduled Event":
event["time"] is the tick's scheduled time (UTC), event["resources"][0] the
schedule's ARN. With a schedule `input:` the function gets that JSON instead.
"""

import json
from datetime import datetime, timedelta, timezone


def handler(event, context):
    scheduled = event.get("time") if isinstance(event, dict) else None
    if scheduled:
        at = datetime.strptime(scheduled, "%Y-%m-%dT%H:%M:%SZ")
    else:  # invoked by hand: report on today so far
        at = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    kind = event.get("report", "nightly") if isinstance(event, dict) else "nightly"
    day = (at - timedelta(days=1)).date()
    report = {
        "report": kind,
        "day": day.isoformat(),
        "scheduled": scheduled,
        "schedule": (event.get("resources") or [None])[0] if isinstance(event, dict) else None,
        "request": context.aws_request_id,
    }
    print("RESULT " + json.dumps(report))
    return report
