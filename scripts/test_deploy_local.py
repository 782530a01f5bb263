#!/usr/bin/env python3
"""Test of scripts/deploy_local.py against the running emulator (run it under scripts/with-moto.sh).

Deploys the stack twice (the second run must change nothing), then checks what the local run relies
on: the contract's queues and their DLQs with maxReceiveCount 8, the table keyed by `pk` with TTL on
`expires_at`, the `meeting-updates` topic, no event source mapping in the emulator, and the outputs
in target/local-stack.json, the dead-letter queues encrypted with the customer managed key. Then the subscribers of infra/subscriber.yaml: the default one
(jobcenter 851) with its filter policy, raw delivery, delivery DLQ and the stack's KMS key; and a
second one (a-kasse 010) added by a third run, which leaves the rest unchanged. Each subscriber
receives exactly its own updates, and is handed the queue's URL and ARN and the key's ARN; its
consumer may do on its queue what common SQS consumers call (from the template: the emulator skips
queue policies). Rule R12: the table's sparse index `sweep-due`, the `SummonsKey`
(a ciphertext opens only for the person it was sealed for), and, from the translated template (the
emulator skips them), the daily schedule, its retries and dead-letter queue, who may seal and open,
and the summons alarms. Who can read (scripts/who_can_read.py): the keys' policies name exact roles
and keep administration apart from use, only the deployer subscribes to the topic, and changes to
either raise the alarm access-changes-to-review, whose rules also run on the emulator's EventBridge.
Every alarm and dashboard line on samspil's own metrics names the stack (the functions get it as
STACK_NAME), so that two stacks in one account never set off each other's alarms. Ends with the line 'deploy_local: N passed, N failed'.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

import who_can_read  # scripts/, this file's directory

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "target" / "local-stack.json"
SUBSCRIBERS_OUTPUT = ROOT / "target" / "local-subscribers.json"
# What a subscriber's consumer may do on its queue: what common SQS consumers call, nothing more.
CONSUMER_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl"}
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


def deploy(*args: str) -> str:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "deploy_local.py"), *args], capture_output=True,
                         text=True, timeout=120)
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


def subscription_of(sns, topic: str, queue_arn: str) -> list[dict]:
    return [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Endpoint"] == queue_arn]


def check_subscriber(sqs, sns, topic: str, key_arn: str, kind: str, code: str) -> str:
    """Checks one subscriber stack's queue and subscription, and the outputs its consumer is handed
    (the queue's URL and ARN, and the key to decrypt with); returns the queue URL."""
    name = f"samspil-{kind}-{code}-updates"
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    check(f"{name} encrypted with the stack's KMS key", attributes.get("KmsMasterKeyId") == key_arn,
          str(attributes.get("KmsMasterKeyId")))
    handed = json.loads(SUBSCRIBERS_OUTPUT.read_text()).get(f"{kind}-{code}", {}) if SUBSCRIBERS_OUTPUT.exists() else {}
    check(f"{name}: outputs the queue URL and ARN and the key ARN its consumer's IAM policy names",
          handed.get("UpdatesQueueUrl", "").endswith(f"/{name}") and handed.get("UpdatesQueueArn") == attributes["QueueArn"]
          and handed.get("DataKeyArn") == key_arn, str(handed))
    dlq_arn = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=f"{name}-dlq")["QueueUrl"],
                                       AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    check(f"{name} redrives to {name}-dlq", json.loads(attributes.get("RedrivePolicy", "{}")).get(
        "deadLetterTargetArn") == dlq_arn)
    subscriptions = subscription_of(sns, topic, attributes["QueueArn"])
    check(f"{name} subscribed exactly once", len(subscriptions) == 1, str(subscriptions))
    if subscriptions:
        sub = sns.get_subscription_attributes(SubscriptionArn=subscriptions[0]["SubscriptionArn"])["Attributes"]
        attribute = "municipality" if kind == "jobcenter" else "akasse"
        check(f"{name} filter policy {attribute} = [{code}]",
              json.loads(sub.get("FilterPolicy", "{}")) == {attribute: [code]}, str(sub.get("FilterPolicy")))
        check(f"{name} raw message delivery", sub.get("RawMessageDelivery") == "true")
        delivery_dlq = sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName=f"{name}-delivery-dlq")["QueueUrl"],
            AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        check(f"{name} subscription dead-letters to {name}-delivery-dlq",
              json.loads(sub.get("RedrivePolicy", "{}")).get("deadLetterTargetArn") == delivery_dlq,
              str(sub.get("RedrivePolicy")))
    return url


def subscribers(sqs, sns, topic: str, key_arn: str) -> None:
    """The default subscriber, then a second one added without touching the rest; each receives
    exactly the updates its filter names."""
    jobcenter = check_subscriber(sqs, sns, topic, key_arn, "jobcenter", "851")
    third = deploy("--subscriber", "jobcenter:851", "--subscriber", "akasse:010")
    check("adding a subscriber leaves the main stack unchanged", "stack samspil: unchanged (no-op)" in third)
    check("adding a subscriber leaves the first unchanged", "stack samspil-jobcenter-851: unchanged (no-op)" in third)
    check("the second subscriber's stack is created", "stack samspil-akasse-010: created" in third)
    akasse = check_subscriber(sqs, sns, topic, key_arn, "akasse", "010")

    for url in (jobcenter, akasse):
        drain(sqs, url)
    sent = [("851", "067"), ("101", "010"), ("851", "010"), ("101", "067")]
    for municipality, akasse_number in sent:
        sns.publish(TopicArn=topic, Message=json.dumps({"m": municipality, "a": akasse_number}), MessageAttributes={
            "municipality": {"DataType": "String", "StringValue": municipality},
            "akasse": {"DataType": "String", "StringValue": akasse_number},
            "event_type": {"DataType": "String", "StringValue": "dk.jobcenter.meeting-scheduled.v1"}})
    for url, own in ((jobcenter, lambda m, a: m == "851"), (akasse, lambda m, a: a == "010")):
        received = []
        for _ in range(3):
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            received += [m["Body"] for m in messages]
            for m in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        expected = [json.dumps({"m": m, "a": a}) for m, a in sent if own(m, a)]
        check(f"{url.rsplit('/', 1)[-1]} receives exactly its own updates, raw", sorted(received) == sorted(expected),
              f"{received} != {expected}")


def consumer_permissions() -> None:
    """From infra/subscriber.yaml (the emulator skips queue policies): the consumer may consume its
    own queue, and only that; a statement naming it allows exactly CONSUMER_ACTIONS."""
    from samtranslator.yaml_helper import yaml_parse

    resources = yaml_parse((ROOT / "infra" / "subscriber.yaml").read_text())["Resources"]
    statements = [s for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"
                  for s in r["Properties"]["PolicyDocument"]["Statement"]
                  if s.get("Principal") == {"AWS": {"Ref": "ConsumerPrincipalArn"}}]
    check("the subscriber's consumer is named in one statement, on its own queue only",
          len(statements) == 1 and statements[0]["Effect"] == "Allow"
          and statements[0]["Resource"] == {"Fn::GetAtt": ["UpdatesQueue", "Arn"]}, str(statements))
    allowed = set(statements[0]["Action"]) if statements else set()
    check("the subscriber's consumer may receive, delete, change visibility, get attributes and the URL",
          allowed == CONSUMER_ACTIONS, str(sorted(allowed)))


def translated() -> dict:
    """The template's resources as SAM translates them for AWS (intrinsic functions unresolved)."""
    import deploy_local

    return deploy_local.translate("eu-north-1", "123456789012")["Resources"]


def release_and_dashboard(resources: dict) -> None:
    """What AWS gets from the template, as SAM translates it (moto skips these types): each function
    behind the alias `live`, shifted by CodeDeploy and rolled back on its errors alarm; the
    dashboard with its seven graphs, samspil's own metrics by this stack."""
    for function, alarm in (("RegistrationFunction", "RegistrationErrorsAlarm"),
                            ("CvCompletedFunction", "CvCompletedErrorsAlarm"), ("JobExitFunction", "JobExitErrorsAlarm"),
                            ("SummonsFunction", "SummonsErrorsAlarm")):
        alias = resources.get(f"{function}Aliaslive", {})
        check(f"{function} published behind alias live", alias.get("Type") == "AWS::Lambda::Alias"
              and "CodeDeployLambdaAliasUpdate" in alias.get("UpdatePolicy", {}))
        group = resources.get(f"{function}DeploymentGroup", {}).get("Properties", {})
        alarms = group.get("AlarmConfiguration", {}).get("Alarms", [])
        check(f"{function} rolls back on {alarm}", {"Name": {"Ref": alarm}} in alarms
              and "DEPLOYMENT_STOP_ON_ALARM" in group.get("AutoRollbackConfiguration", {}).get("Events", []), str(group))
        if function != "SummonsFunction":
            mapping = resources.get(f"{function}Queue", {}).get("Properties", {})
            check(f"{function}'s queue invokes the alias",
                  mapping.get("FunctionName") == {"Ref": f"{function}Aliaslive"}, str(mapping.get("FunctionName")))
    summons_schedule(resources)
    body = resources.get("Dashboard", {}).get("Properties", {}).get("DashboardBody", {}).get("Fn::Sub", "{}")
    titles = [w["properties"]["title"] for w in json.loads(body).get("widgets", [])]
    wanted = ["Messages in", "updates out", "Dead letters", "oldest message", "Transient failures", "Duration",
              "Summons sweep"]
    check("the dashboard graphs messages in, updates out, dead letters, oldest age, transient failures, duration, "
          "the summons sweep",
          len(titles) == 7 and all(any(w.lower() in t.lower() for t in titles) for w in wanted), str(titles))
    check("every dashboard line of samspil's own metrics is of this stack", own_metric_lines_by_stack(body))


def own_metric_lines_by_stack(body: str) -> bool:
    """Whether each metric line of the namespace samspil in the dashboard names the dimensions
    function and stack (this stack's name), resolving CloudWatch's "." (as the line above)."""
    lines = 0
    for widget in json.loads(body).get("widgets", []):
        above: list = []
        for line in widget.get("properties", {}).get("metrics", []):
            if "..." in line:
                if above and above[0] == "samspil":
                    return False  # the shorthand hides which dimensions a line has: write them out
                continue
            line = [above[i] if v == "." and i < len(above) else v for i, v in enumerate(line)]
            above = line
            if line[0] != "samspil":
                continue
            lines += 1
            dimensions = dict(zip(line[2::2], line[3::2]))
            if set(dimensions) != {"function", "stack"} or dimensions["stack"] != "${AWS::StackName}":
                return False
    return lines >= 5


def summons_schedule(resources: dict) -> None:
    """Rule R12: the schedule that starts the sweep (moto skips it): daily, weekends too, on
    Copenhagen time, retried, with a dead-letter queue, invoking the alias; failed invocations
    retried by Lambda and then dead-lettered; and the roles that may seal and open CPR numbers."""
    schedules = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    check("one schedule", len(schedules) == 1, str(len(schedules)))
    schedule = schedules[0] if schedules else {}
    fields = schedule.get("ScheduleExpression", "").removeprefix("cron(").removesuffix(")").split()
    check("the sweep runs every day of the week (weekends too)",
          len(fields) == 6 and fields[2] == "*" and fields[3] == "*" and fields[4] in ("?", "*"), str(fields))
    check("the schedule keeps Copenhagen time", schedule.get("ScheduleExpressionTimezone") == "Europe/Copenhagen")
    target = schedule.get("Target", {})
    check("the schedule invokes the summons function's alias live", target.get("Arn") == {"Ref": "SummonsFunctionAliaslive"},
          str(target.get("Arn")))
    check("the schedule retries and dead-letters to summons-dlq",
          target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0) > 0
          and target.get("DeadLetterConfig", {}).get("Arn") == {"Fn::GetAtt": ["SummonsDlq", "Arn"]}, str(target))
    function = resources.get("SummonsFunction", {}).get("Properties", {})
    check("a failed sweep invocation goes to summons-dlq",
          function.get("DeadLetterConfig", {}).get("TargetArn") == {"Fn::GetAtt": ["SummonsDlq", "Arn"]})
    statements = resources.get("SummonsKey", {}).get("Properties", {}).get("KeyPolicy", {}).get("Statement", [])
    actions = {s.get("Sid"): s.get("Action") for s in statements}
    check("SummonsKey: the inbound roles only encrypt, the summons role only decrypts",
          actions.get("InboundFunctionsSealOnly") == "kms:Encrypt"
          and actions.get("SummonsFunctionOpensOnly") == "kms:Decrypt", str(actions))
    roles = {s.get("Sid"): s.get("Condition", {}).get("ArnEquals", {}).get("aws:PrincipalArn") for s in statements}
    check("SummonsKey: sealing by exactly the three inbound roles, opening by exactly the summons role",
          roles.get("InboundFunctionsSealOnly") == [{"Fn::GetAtt": [r, "Arn"]} for r in
                                                    ("RegistrationRole", "CvCompletedRole", "JobExitRole")]
          and roles.get("SummonsFunctionOpensOnly") == {"Fn::GetAtt": ["SummonsRole", "Arn"]}, str(roles))

    def kms_actions(role: str) -> set[str]:
        """What the role's policies (resources of their own, AWS::IAM::Policy) allow on SummonsKey."""
        found = set()
        for policy in resources.values():
            properties = policy.get("Properties", {})
            if policy["Type"] != "AWS::IAM::Policy" or {"Ref": role} not in properties.get("Roles", []):
                continue
            for statement in properties["PolicyDocument"]["Statement"]:
                if isinstance(statement, dict) and statement.get("Resource") == {"Fn::GetAtt": ["SummonsKey", "Arn"]}:
                    action = statement["Action"]
                    found |= set(action if isinstance(action, list) else [action])
        return found

    for role in ("RegistrationRole", "CvCompletedRole", "JobExitRole"):
        check(f"{role} may only encrypt with SummonsKey", kms_actions(role) == {"kms:Encrypt"}, str(kms_actions(role)))
    check("SummonsRole may only decrypt with SummonsKey", kms_actions("SummonsRole") == {"kms:Decrypt"})


def main() -> None:
    started = time.monotonic()
    resources = translated()
    release_and_dashboard(resources)
    who_can_read.key_policies(resources, check)
    who_can_read.subscribers(resources, check)
    who_can_read.access_change_alarm(resources, check)
    consumer_permissions()
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
    for key in ["RegistrationsQueueUrl", "RegistrationsQueueArn", "RegistrationsDlqUrl", "CvCompletionsQueueUrl",
                "CvCompletionsQueueArn", "CvCompletionsDlqUrl", "JobExitsQueueUrl", "JobExitsQueueArn", "JobExitsDlqUrl",
                "TableName", "MeetingUpdatesTopicArn", "DataKeyArn",
                "RegistrationFunctionName", "CvCompletedFunctionName",
                "JobExitFunctionName", "AkasseSenders", "SummonsFunctionName", "SummonsKeyArn", "SummonsDlqUrl",
                "AccessChangesQueueUrl"]:
        check(f"output {key} in target/local-stack.json", bool(outputs.get(key)))

    for queue in QUEUES:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        dlq_url = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        check(f"queue {queue} redrives to {queue}-dlq after 8 receives",
              redrive.get("deadLetterTargetArn") == dlq_arn and int(redrive.get("maxReceiveCount", 0)) == 8, str(redrive))
        check(f"queue {queue} visibility timeout >= 6 x 20 s", int(attributes["VisibilityTimeout"]) >= 120)
        dlq_key = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
        check(f"queue {queue}-dlq encrypted with the stack's customer managed key",
              bool(dlq_key.get("KmsMasterKeyId")) and dlq_key["KmsMasterKeyId"] != "alias/aws/sqs", str(dlq_key))

    table = ddb.describe_table(TableName=outputs.get("TableName", "people"))["Table"]
    check("table keyed by pk (S)", table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
          and {"AttributeName": "pk", "AttributeType": "S"} in table["AttributeDefinitions"])
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    sweep = indexes.get("sweep-due", {})
    check("table index sweep-due: hash sweep_shard, range sweep_due, keys only",
          sweep.get("KeySchema") == [{"AttributeName": "sweep_shard", "KeyType": "HASH"},
                                     {"AttributeName": "sweep_due", "KeyType": "RANGE"}]
          and sweep.get("Projection", {}).get("ProjectionType") == "KEYS_ONLY", str(sweep))
    summons_key(session, endpoint, outputs.get("SummonsKeyArn"))
    who_can_read.access_change_rules_route(session, endpoint, outputs, check)
    ttl = ddb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    check("table TTL on expires_at", ttl.get("AttributeName") == "expires_at" and ttl.get("TimeToLiveStatus") == "ENABLED",
          str(ttl))

    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    topic = next((t for t in topics if t.rsplit(":", 1)[-1] == "meeting-updates"), None)
    check("topic meeting-updates exists", topic is not None and outputs.get("MeetingUpdatesTopicArn") == topic)

    check("the example subscriber of the main template is off", "ExampleSubscriberQueueUrl" not in outputs)
    for function in ("registration", "cv-completed", "job-exit"):
        mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        check(f"no event source mapping of {function} in the emulator", not mappings, str(mappings))

    if topic:
        subscribers(sqs, sns, topic, outputs.get("DataKeyArn"))

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

    check_alarms()

    print(f"({time.monotonic() - started:.1f} s)")
    print(f"deploy_local: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


def summons_key(session, endpoint: str, key_arn: str | None) -> None:
    """SummonsKey exists, rotates, and a ciphertext opens only with the person it was sealed for."""
    kms = session.client("kms", endpoint_url=endpoint)
    if not key_arn:
        check("SummonsKey deployed", False, "no output SummonsKeyArn")
        return
    # Not DescribeKey: moto keeps a key policy from CloudFormation in a form its DescribeKey cannot read.
    keys = [k["KeyArn"] for k in kms.list_keys()["Keys"]]
    check("SummonsKey deployed", key_arn in keys)
    check("SummonsKey rotates", kms.get_key_rotation_status(KeyId=key_arn).get("KeyRotationEnabled") is True)
    sealed = kms.encrypt(KeyId=key_arn, Plaintext=b"test", EncryptionContext={"samspil:person": "person#a"})
    blob = sealed["CiphertextBlob"]
    opened = kms.decrypt(CiphertextBlob=blob, KeyId=key_arn, EncryptionContext={"samspil:person": "person#a"})
    check("SummonsKey opens what it sealed for the same person", opened["Plaintext"] == b"test")
    try:
        kms.decrypt(CiphertextBlob=blob, KeyId=key_arn, EncryptionContext={"samspil:person": "person#b"})
        check("SummonsKey refuses another person's context", False)
    except kms.exceptions.ClientError:
        check("SummonsKey refuses another person's context", True)


def check_alarms() -> None:
    """The emulator creates no alarms, so the template itself is read: every function alarms on
    failed invocations, throttles and transient failures, and the topic on failed deliveries
    (docs/operations.md says what to do for each). Every alarm on samspil's own metrics names the
    stack beside the function, as the functions' metrics lines do, so two stacks in one account
    never set off each other's alarms."""
    from cfnlint.decode import decode

    template, errors = decode(str(ROOT / "infra" / "template.yaml"))
    check("infra/template.yaml decodes", template is not None and not errors, str(errors))
    alarms = [r.get("Properties", {}) for r in (template or {}).get("Resources", {}).values()
              if r.get("Type") == "AWS::CloudWatch::Alarm"]
    watched = {(a.get("MetricName"), json.dumps(a.get("Dimensions"), sort_keys=True, default=str)) for a in alarms}
    metrics = {metric for metric, _ in watched}
    for function, resource in (("registration", "RegistrationFunction"), ("cv-completed", "CvCompletedFunction"),
                               ("job-exit", "JobExitFunction")):
        for metric in ("Errors", "Throttles"):
            check(f"alarm on {function} {metric}", any(m == metric and resource in d for m, d in watched))
        check(f"alarm on {function} transient_failures",
              any(m == "transient_failures" and f'"{function}"' in d for m, d in watched))
    check("alarm on SNS delivery failures", "NumberOfNotificationsFailed" in metrics)
    for metric in ("Errors", "Invocations"):
        check(f"alarm on summons {metric}", any(m == metric and "SummonsFunction" in d for m, d in watched))
    check("alarm on summons-dlq", any(m == "ApproximateNumberOfMessagesVisible" and "SummonsDlq" in d
                                      for m, d in watched))
    check("alarm on the summons backlog", "summons_left" in metrics)
    own = [a for a in alarms if a.get("Namespace") == "samspil"]
    by_stack = [a for a in own if sorted(d.get("Name") for d in a.get("Dimensions", [])) == ["function", "stack"]
                and {"Name": "stack", "Value": {"Ref": "AWS::StackName"}} in a["Dimensions"]]
    check("every alarm on namespace samspil names its function and this stack",
          len(own) >= 4 and len(by_stack) == len(own),
          str([a.get("AlarmName") for a in own if a not in by_stack]))
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    check("the functions know their stack (STACK_NAME)", variables.get("STACK_NAME") == {"Ref": "AWS::StackName"},
          str(variables.get("STACK_NAME")))


if __name__ == "__main__":
    main()
