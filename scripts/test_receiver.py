#!/usr/bin/env python3
"""Test of examples/receiver.py, the worked receiver, against the local stack. Run it under
scripts/with-moto.sh with the path of a built `samspil` program (`make test-receiver` does):

    scripts/with-moto.sh .venv/bin/python scripts/test_receiver.py target/debug/samspil

1. Deploys the stack and its jobcenter 851 subscriber (scripts/deploy_local.py), and subscribes a
   queue of its own to the topic with the same filter, to see what that subscriber is sent.
2. Sends examples/messages.jsonl with `samspil send`, each person under a fresh synthetic CPR
   number and each message under a fresh id (so an emulator that saw the examples before publishes
   again), and processes them with `samspil local --until-idle` on the examples' first day.
3. Runs the receiver until its queue is empty: it must hold, per meeting, the highest sequence
   published, and have deleted every message.
4. Publishes updates of its own to the topic, for one of those meetings: a newer one with a
   `reason` no version has (applied); then, in a second run, the same again (a duplicate), the
   update it replaced (older), an update type no version has, and a body that is not JSON. The
   meeting keeps the newer update; every message but the unreadable one is deleted, and that one
   stays on the queue for its dead-letter queue.

Ends with the line 'test_receiver: N passed, N failed'. No CPR number is printed.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "receiver-test"
SUBSCRIBER = "jobcenter-851"
MUNICIPALITY = "851"
OBSERVER = "receiver-test-observer"
# The processing day of `samspil local`: the examples' first day, so the run does not depend on
# the calendar.
DAY = "2026-11-02"

passed, failed = 0, []


def check(name: str, condition: bool, detail: str = "") -> None:
    global passed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed.append(name)
        print(f"FAIL {name}{': ' + detail if detail else ''}")


def run(*command: str, timeout: int = 180) -> str:
    """Runs a command from the repository's root; stops the test if it fails."""
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        print(done.stdout + done.stderr)
        sys.exit(f"test_receiver: {' '.join(command)} failed with status {done.returncode}")
    return done.stdout


def receive_all(sqs, url: str) -> list[str]:
    """Every message on a queue, received and deleted, until a receive finds none."""
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def empty(sqs, url: str) -> None:
    """Empties a queue, waiting for messages an earlier run left received but not deleted (an
    emulator that outlives a run) to become visible again."""
    deadline = time.monotonic() + 60
    while True:
        receive_all(sqs, url)
        if in_flight(sqs, url) == (0, 0):
            return
        if time.monotonic() > deadline:
            sys.exit(f"test_receiver: {url} does not empty: {in_flight(sqs, url)} messages (visible, in flight)")
        time.sleep(1)


def observer_queue(sqs, sns, topic: str) -> tuple[str, str]:
    """A queue of this test's, empty, subscribed to the topic with the jobcenter subscriber's
    filter. Returns its URL and the subscription's ARN."""
    url = sqs.create_queue(QueueName=OBSERVER)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps({"municipality": [MUNICIPALITY]})})
    receive_all(sqs, url)
    return url, subscription["SubscriptionArn"]


def summary(events) -> dict[str, tuple]:
    """Meeting id to (sequence, type, date): what the checks compare, and print (no CPR)."""
    return {m: (e["sequence"], e["type"], e["date"]) for m, e in events.items()}


def synthetic_cpr(rng: random.Random) -> str:
    """A synthetic CPR number: a valid day and month, random digits."""
    return f"{rng.randint(1, 28):02}{rng.randint(1, 12):02}{rng.randint(0, 99):02}{rng.randint(0, 9999):04}"


def fresh_examples(path: Path) -> Path:
    """examples/messages.jsonl with every person under a fresh synthetic CPR number and every id
    made unique to this run; duplicates in the file stay duplicates."""
    rng = random.Random()
    tag = f"{rng.getrandbits(32):08x}"
    people: dict[str, str] = {}
    lines = []
    for line in (ROOT / "examples" / "messages.jsonl").read_text().splitlines():
        message = json.loads(line)
        body = message["body"]
        body["id"] = f"{body['id']}-{tag}"
        body["data"]["cpr"] = people.setdefault(body["data"]["cpr"], synthetic_cpr(rng))
        lines.append(json.dumps(message))
    path.write_text("\n".join(lines) + "\n")
    return path


def receiver(queue: str, db: Path) -> list[str]:
    """Runs examples/receiver.py until its queue is empty; returns its output lines."""
    output = run(sys.executable, "examples/receiver.py", "--queue", queue, "--db", str(db), "--wait-seconds", "1",
                 "--until-empty")
    print("\n".join(f"     | {line}" for line in output.splitlines()))
    return output.splitlines()


def meetings(db: Path) -> dict[str, dict]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return {row["meeting_id"]: dict(row) for row in connection.execute("SELECT * FROM meetings")}


def publish(sns, topic: str, body: str, event_type: str) -> None:
    """Publishes as samspil does: with the attributes subscribers filter on."""
    sns.publish(TopicArn=topic, Message=body, MessageAttributes={
        "municipality": {"DataType": "String", "StringValue": MUNICIPALITY},
        "akasse": {"DataType": "String", "StringValue": "067"},
        "event_type": {"DataType": "String", "StringValue": event_type}})


def counted(lines: list[str], outcome: str) -> int:
    return sum(1 for line in lines if line.startswith(outcome + " "))


def in_flight(sqs, url: str) -> tuple[int, int]:
    """Messages on a queue: (visible, received and not deleted)."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def main() -> None:
    started = time.monotonic()
    samspil = str(Path(sys.argv[1]).resolve()) if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "samspil")
    if not Path(samspil).is_file():
        sys.exit(f"test_receiver: {samspil} is not built (make test-receiver builds it)")
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "meetings.sqlite"
    db.unlink(missing_ok=True)

    run(sys.executable, "scripts/deploy_local.py")
    stack = json.loads((ROOT / "target" / "local-stack.json").read_text())
    queue = json.loads((ROOT / "target" / "local-subscribers.json").read_text())[SUBSCRIBER]["UpdatesQueueUrl"]
    topic = stack["MeetingUpdatesTopicArn"]
    session = boto3.session.Session()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    sqs, sns = session.client("sqs", endpoint_url=endpoint), session.client("sns", endpoint_url=endpoint)
    observer, subscription = observer_queue(sqs, sns, topic)
    empty(sqs, queue)
    try:
        exercise(samspil, db, sqs, sns, topic, queue, observer)
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=observer)
        try:
            sqs.purge_queue(QueueUrl=queue)  # the unreadable message, for whoever reads the queue next
        except sqs.exceptions.PurgeQueueInProgress:
            pass  # one purge a minute; the next run's `empty` waits for the message instead

    print(f"({time.monotonic() - started:.1f} s)")
    print(f"test_receiver: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def exercise(samspil: str, db: Path, sqs, sns, topic: str, queue: str, observer: str) -> None:
    """Steps 2 to 4 of the module doc."""
    # 2. The examples through the pipeline: what the subscriber is sent.
    run(samspil, "send", str(fresh_examples(WORK / "messages.jsonl")))
    run(samspil, "local", "--until-idle", "2", "--today", DAY, "--no-watch", "--wait-seconds", "1")
    sent = [json.loads(body) for body in receive_all(sqs, observer)]
    newest: dict[str, dict] = {}
    for event in sent:
        meeting = event["data"]["meeting_id"]
        if meeting not in newest or event["data"]["sequence"] > newest[meeting]["data"]["sequence"]:
            newest[meeting] = event
    check("the examples give the jobcenter updates of at least two meetings", len(newest) >= 2,
          f"{len(sent)} updates of {len(newest)} meetings")

    # 3. The receiver applies them: per meeting, the newest. (SQS may deliver a meeting's updates
    # out of order; then the older is ignored.)
    lines = receiver(queue, db)
    held = meetings(db)
    check("the receiver applies or ignores every update it is sent",
          counted(lines, "applied") + counted(lines, "ignored") == len(sent) and counted(lines, "applied") >= len(newest),
          "\n".join(lines))
    want = summary({m: {**e["data"], "type": e["type"]} for m, e in newest.items()})
    check("it holds the newest update of every meeting", summary(held) == want, f"{summary(held)} != {want}")
    check("it deletes every message it applied", in_flight(sqs, queue) == (0, 0), str(in_flight(sqs, queue)))

    # 4. A newer update of one meeting, with a reason no version has: applied.
    meeting, latest = next(iter(newest.items()))
    sequence = latest["data"]["sequence"]
    newer = json.loads(json.dumps(latest))
    newer.update(id=f"{meeting}-{sequence + 1}", type="dk.jobcenter.meeting-rescheduled.v1")
    newer["data"].update(sequence=sequence + 1, previous_date=latest["data"]["date"], date="2026-12-24",
                         reason="a_reason_from_a_later_version")
    publish(sns, topic, json.dumps(newer), newer["type"])
    lines = receiver(queue, db)
    row = meetings(db)[meeting]
    check("a newer update with an unknown reason is applied",
          counted(lines, "applied") == 1 and (row["sequence"], row["date"], row["reason"])
          == (sequence + 1, "2026-12-24", "a_reason_from_a_later_version"), "\n".join(lines))

    # Then the same again, the older one it replaced, an unknown type, and a body that is not JSON.
    unknown = json.loads(json.dumps(newer))
    unknown.update(id=f"{meeting}-{sequence + 2}", type="dk.jobcenter.meeting-held.v1")
    unknown["data"]["sequence"] = sequence + 2
    publish(sns, topic, json.dumps(newer), newer["type"])
    publish(sns, topic, json.dumps(latest), latest["type"])
    publish(sns, topic, json.dumps(unknown), unknown["type"])
    publish(sns, topic, "this is not JSON", newer["type"])
    lines = receiver(queue, db)
    check("a duplicate and an older update are ignored", counted(lines, "ignored") == 2, "\n".join(lines))
    check("an unknown update type is skipped", counted(lines, "skipped") == 1, "\n".join(lines))
    check("an unreadable message is left on the queue", counted(lines, "left") == 1, "\n".join(lines))
    after = meetings(db)[meeting]
    check("none of them is applied", counted(lines, "applied") == 0 and after == row,
          f"{counted(lines, 'applied')} applied; {summary({meeting: after})} != {summary({meeting: row})}")
    check("the other meetings are unchanged",
          {m: r for m, r in meetings(db).items() if m != meeting} == {m: r for m, r in held.items() if m != meeting})
    check("all but the unreadable message are deleted; it waits for its dead-letter queue",
          in_flight(sqs, queue) == (0, 1), str(in_flight(sqs, queue)))


if __name__ == "__main__":
    main()
