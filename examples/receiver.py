#!/usr/bin/env python3
"""A worked receiver of samspil's meeting updates: what a jobcenter or a-kasse system does with
its subscriber queue. Copy it, and put your own system's update where `apply` writes to SQLite.

    python3 examples/receiver.py --queue samspil-jobcenter-851-updates --db meetings.sqlite

In AWS, give `--queue` the queue's URL (`UpdatesQueueUrl`, docs/jobcenter.md): the queue is in
samspil's account, and a name is looked up in your own.

It long-polls the queue (raw CloudEvents from the topic `meeting-updates`, only this subscriber's)
and, for each message:

- reads the CloudEvent (docs/contract.md, "Outbound");
- applies the update only if its `data.sequence` is higher than the last one applied for its
  `data.meeting_id`: the newer wins, an older or equal one (a duplicate, a redelivery, one that
  arrived late) is ignored. Check and write are one SQL statement, so a second receiver on the
  same queue, or a crash between applying and deleting, never puts an older update over a newer;
- deletes the message once it is applied or ignored;
- accepts `reason` values and members it does not know (later versions may add some), and skips,
  and deletes, an update type it does not know;
- leaves a message it cannot read (not a CloudEvent, no meeting id or sequence) on the queue, so
  that SQS moves it to the queue's dead-letter queue after 5 receives: nothing is lost.

The state is a SQLite file: per meeting, the last applied sequence and what that update said. The
person's CPR number (`data.cpr`) is what a real system looks the person up by; this example
neither stores nor prints it.

AWS settings come from the environment, as for any boto3 program: credentials, AWS_REGION or
AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL for the local stack (README, "Talking to the local stack").
Needs Python 3.11 or newer and boto3.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys

import boto3

# The update types of docs/contract.md. Another type is skipped: this receiver cannot apply it.
KNOWN_TYPES = {
    "dk.jobcenter.meeting-scheduled.v1",
    "dk.jobcenter.meeting-rescheduled.v1",
    "dk.jobcenter.meeting-cancelled.v1",
}
# The largest sequence SQLite's INTEGER holds; samspil's never come near it.
MAX_SEQUENCE = 2**63 - 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meetings (
    meeting_id    TEXT PRIMARY KEY,
    sequence      INTEGER NOT NULL,
    type          TEXT NOT NULL,
    date          TEXT,
    previous_date TEXT,
    reason        TEXT,
    form          TEXT,
    deadline      TEXT,
    event_id      TEXT
)"""

# The newer wins: a meeting's first update is inserted; a later one replaces the row only if its
# sequence is higher, in the same statement, so no other writer can come between check and write.
APPLY = """
INSERT INTO meetings (meeting_id, sequence, type, date, previous_date, reason, form, deadline, event_id)
VALUES (:meeting_id, :sequence, :type, :date, :previous_date, :reason, :form, :deadline, :event_id)
ON CONFLICT (meeting_id) DO UPDATE SET
    sequence = excluded.sequence, type = excluded.type, date = excluded.date,
    previous_date = excluded.previous_date, reason = excluded.reason, form = excluded.form,
    deadline = excluded.deadline, event_id = excluded.event_id
WHERE excluded.sequence > meetings.sequence
"""


class Unreadable(Exception):
    """A message body that is not a meeting update this receiver can order by sequence."""


def read_update(body: str) -> dict:
    """The CloudEvent in a message body. Raises Unreadable, saying why without quoting the body
    (it holds a CPR number)."""
    try:
        event = json.loads(body)
    except ValueError:
        raise Unreadable("not JSON") from None
    # Without RawMessageDelivery on the subscription, SNS wraps the event in its own envelope.
    if isinstance(event, dict) and event.get("Type") == "Notification" and isinstance(event.get("Message"), str):
        return read_update(event["Message"])
    if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not isinstance(event.get("data"), dict):
        raise Unreadable("not a CloudEvent with a `type` and a `data` object")
    data = event["data"]
    if not isinstance(data.get("meeting_id"), str) or not data["meeting_id"]:
        raise Unreadable("`data.meeting_id` is missing or not a string")
    sequence = data.get("sequence")
    # `type(...) is int`: not a float, not a boolean (JSON true would pass isinstance(..., int)).
    if type(sequence) is not int or not 1 <= sequence <= MAX_SEQUENCE:
        raise Unreadable("`data.sequence` is missing or not an integer from 1")
    return event


def text(value) -> str | None:
    """A member as stored: strings as they are, anything else as JSON (never an error)."""
    return value if value is None or isinstance(value, str) else json.dumps(value)


def short(value: str, limit: int = 80) -> str:
    """A value from a message for one line of output: printable, and not too long."""
    value = value.encode("ascii", "backslashreplace").decode("ascii")
    return value if len(value) <= limit else value[:limit] + "..."


def apply(db: sqlite3.Connection, event: dict) -> tuple[bool, int]:
    """Applies the update if it is newer than the meeting's last one. Returns whether it was
    applied, and the meeting's sequence afterwards."""
    data = event["data"]
    row = {
        "meeting_id": data["meeting_id"],
        "sequence": data["sequence"],
        "type": event["type"],
        "event_id": text(event.get("id")),
        **{name: text(data.get(name)) for name in ("date", "previous_date", "reason", "form", "deadline")},
    }
    with db:  # one transaction: committed here, or rolled back on an error
        applied = db.execute(APPLY, row).rowcount == 1
        (current,) = db.execute("SELECT sequence FROM meetings WHERE meeting_id = ?", (data["meeting_id"],)).fetchone()
    return applied, current


def handle(db: sqlite3.Connection, body: str) -> tuple[str, str]:
    """What to do with one message body: `(outcome, line)`, the outcome one of applied, ignored,
    skipped (all three deleted) or left (not deleted)."""
    try:
        event = read_update(body)
    except Unreadable as e:
        return "left", f"{e}; left on the queue for its dead-letter queue"
    data = event["data"]
    what = f"{short(event['type'])} {short(data['meeting_id'])} sequence {data['sequence']}"
    if event["type"] not in KNOWN_TYPES:
        return "skipped", f"{what}: a type this receiver does not know"
    applied, current = apply(db, event)
    if not applied:
        return "ignored", f"{what}: not newer than sequence {current}, already applied"
    details = ", ".join(f"{name} {short(text(data[name]))}" for name in ("date", "previous_date", "reason")
                        if data.get(name) is not None)
    return "applied", f"{what}" + (f" ({details})" if details else "")


def queue_url(sqs, queue: str) -> str:
    return queue if "://" in queue else sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue", default="samspil-jobcenter-851-updates",
                        help="the subscriber queue, by URL, or by name (default: %(default)s, the local stack's)")
    parser.add_argument("--db", default="meetings.sqlite", help="the SQLite state file (default: %(default)s)")
    parser.add_argument("--wait-seconds", type=int, default=20, choices=range(0, 21), metavar="0..20",
                        help="long polling: how long each receive waits for messages (default: %(default)s)")
    parser.add_argument("--until-empty", action="store_true",
                        help="stop when a receive finds no message, instead of polling until Ctrl-C")
    args = parser.parse_args()

    sqs = boto3.client("sqs")
    url = queue_url(sqs, args.queue)
    db = sqlite3.connect(args.db)
    db.execute(SCHEMA)
    counts = dict.fromkeys(("applied", "ignored", "skipped", "left"), 0)
    try:
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=args.wait_seconds).get("Messages", [])
            if not messages and args.until_empty:
                break
            for message in messages:
                outcome, line = handle(db, message["Body"])
                counts[outcome] += 1
                print(f"{outcome:8} {line}", flush=True)
                if outcome != "left":
                    # After the update is stored: if this fails, the message comes back and is
                    # ignored as already applied.
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    except KeyboardInterrupt:
        pass
    finally:
        db.close()
    print("receiver: " + ", ".join(f"{n} {outcome}" for outcome, n in counts.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
