#!/usr/bin/env python3
"""Test of scripts/deploy_local.py against the running emulator (run it under scripts/with-moto.sh).

Deploys the stack twice (the second run must change nothing), then checks what the local run relies
on: the contract's queues and their DLQs with maxReceiveCount 5, the table keyed by `pk` with TTL on
`expires_at`, the `meeting-updates` topic, the example subscriber subscribed with its filter policy
and raw delivery (and that the filter really filters), the event source mappings disabled, the
dead-letter queues encrypted with the customer managed key, and the outputs in target/local-stack.json. Ends with the line 'deploy_local: N passed, N failed'.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "target" / "local-stack.json"
QUEUES = ["registrations", "cv-completions", "job-exits"]

passed, failed = 0, []


def check(name: str, condition: bool, detail: str = "") -> None:
    global passed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed.append(name)
        print(f"FAIL {name}{': ' + detail if detail else ''}")


def deploy() -> str:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "deploy_local.py")], capture_output=True, text=True,
                         timeout=120)
    if run.returncode != 0:
        print(run.stdout + run.stderr)
        sys.exit(f"deploy_local.py failed with status {run.returncode}")
    return run.stdout


def drain(sqs, url: str) -> None:
    """Empties a queue by receiving and deleting (PurgeQueue is allowed once a minute)."""
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def main() -> None:
    started = time.monotonic()
    first = deploy()
    second = deploy()
    check("the first run creates or updates the stack", "stack samspil:" in first)
    check("the second run changes nothing", "stack samspil: unchanged (no-op)" in second,
          [l for l in second.splitlines() if "stack samspil" in l].__repr__())
    check("the skipped resources are reported", "the emulator skipped" in first and "AWS::SNS::Subscription" in first)

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION", "eu-north-1"),
                                    aws_access_key_id="testing", aws_secret_access_key="testing")
    sqs, sns, ddb, lam = (session.client(n, endpoint_url=endpoint) for n in ("sqs", "sns", "dynamodb", "lambda"))

    outputs = json.loads(OUTPUT.read_text()) if OUTPUT.exists() else {}
    for key in ["RegistrationsQueueUrl", "RegistrationsDlqUrl", "CvCompletionsQueueUrl", "CvCompletionsDlqUrl",
                "JobExitsQueueUrl", "JobExitsDlqUrl", "TableName", "MeetingUpdatesTopicArn",
                "ExampleSubscriberQueueUrl", "RegistrationFunctionName", "CvCompletedFunctionName",
                "JobExitFunctionName", "AkasseSenders"]:
        check(f"output {key} in target/local-stack.json", bool(outputs.get(key)))

    for queue in QUEUES:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        dlq_url = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        check(f"queue {queue} redrives to {queue}-dlq after 5 receives",
              redrive.get("deadLetterTargetArn") == dlq_arn and int(redrive.get("maxReceiveCount", 0)) == 5, str(redrive))
        check(f"queue {queue} visibility timeout >= 6 x 20 s", int(attributes["VisibilityTimeout"]) >= 120)
        dlq_key = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
        check(f"queue {queue}-dlq encrypted with the stack's customer managed key",
              bool(dlq_key.get("KmsMasterKeyId")) and dlq_key["KmsMasterKeyId"] != "alias/aws/sqs", str(dlq_key))

    table = ddb.describe_table(TableName=outputs.get("TableName", "people"))["Table"]
    check("table keyed by pk (S)", table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
          and {"AttributeName": "pk", "AttributeType": "S"} in table["AttributeDefinitions"])
    ttl = ddb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    check("table TTL on expires_at", ttl.get("AttributeName") == "expires_at" and ttl.get("TimeToLiveStatus") == "ENABLED",
          str(ttl))

    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    topic = next((t for t in topics if t.rsplit(":", 1)[-1] == "meeting-updates"), None)
    check("topic meeting-updates exists", topic is not None and outputs.get("MeetingUpdatesTopicArn") == topic)

    subscriber_url = sqs.get_queue_url(QueueName="jobcenter-851-updates")["QueueUrl"]
    subscriber_arn = sqs.get_queue_attributes(QueueUrl=subscriber_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscriptions = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                     if s["Endpoint"] == subscriber_arn] if topic else []
    check("jobcenter-851-updates subscribed exactly once", len(subscriptions) == 1, str(subscriptions))
    if subscriptions:
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscriptions[0]["SubscriptionArn"])["Attributes"]
        check("subscription filter policy municipality = [851]",
              json.loads(attributes.get("FilterPolicy", "{}")) == {"municipality": ["851"]}, str(attributes))
        check("subscription raw message delivery", attributes.get("RawMessageDelivery") == "true")

        # The filter really filters: only municipality 851 arrives, raw (the body as published).
        drain(sqs, subscriber_url)
        for municipality in ("101", "851"):
            sns.publish(TopicArn=topic, Message=json.dumps({"test": municipality}), MessageAttributes={
                "municipality": {"DataType": "String", "StringValue": municipality},
                "akasse": {"DataType": "String", "StringValue": "067"},
                "event_type": {"DataType": "String", "StringValue": "dk.jobcenter.meeting-scheduled.v1"}})
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=subscriber_url, MaxNumberOfMessages=10,
                                                          WaitTimeSeconds=1).get("Messages", [])]
        check("subscriber receives only its municipality, raw", bodies == [json.dumps({"test": "851"})], str(bodies))
        drain(sqs, subscriber_url)

    for function in ("registration", "cv-completed", "job-exit"):
        mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        check(f"event source mapping of {function} is disabled",
              bool(mappings) and all(m["State"] == "Disabled" for m in mappings), str([m["State"] for m in mappings]))

    # An inbound message stays untouched (nothing in the emulator consumes it).
    url = sqs.get_queue_url(QueueName="job-exits")["QueueUrl"]
    drain(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"],
                                   VisibilityTimeout=0).get("Messages", [])
    counts = [m["Attributes"]["ApproximateReceiveCount"] for m in received]
    check("inbound messages are not received by the emulator itself", counts == ["1", "1"], str(counts))
    drain(sqs, url)

    print(f"({time.monotonic() - started:.1f} s)")
    print(f"deploy_local: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
