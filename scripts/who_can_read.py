"""Checks of what infra/template.yaml promises about who can read the CPR numbers it protects
(docs/security.md, "Who can read what"): the two keys' policies, the topic's subscribers, and the
alarm on changes to either. The emulator enforces no key, queue or topic policy, so the policies are
checked on the template as SAM translates it; the alarm's EventBridge rules also run on the
emulator, which routes events through them. Called by scripts/test_deploy_local.py with its
`check(name, condition, detail)`.
"""

from __future__ import annotations

import json
import uuid
from fnmatch import fnmatchcase
from typing import Callable

Check = Callable[..., None]

KEYS = ("DataKey", "SummonsKey")
# Every action that reads or writes data with a key, or lets someone else do so (a grant).
USE = ["kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
       "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:CreateGrant"]
DEPLOYER = {"Ref": "DeployerRoleArn"}
ADMINISTRATORS = {"Ref": "KeyAdministratorArns"}
OPERATORS = {"Ref": "DeadLetterOperatorArns"}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def allows(patterns, action: str) -> bool:
    """Whether an action list (with IAM wildcards, case-insensitive) covers `action`."""
    return any(fnmatchcase(action.lower(), p.lower()) for p in _list(patterns))


def _is_root(principal) -> bool:
    return isinstance(principal, dict) and str(principal.get("Fn::Sub", "")).endswith(":root")


def _statements(resources: dict, key: str) -> list[dict]:
    return resources.get(key, {}).get("Properties", {}).get("KeyPolicy", {}).get("Statement", [])


def key_policies(resources: dict, check: Check) -> None:
    """Each key: use only by exact roles, the operators (through SQS, their queues), services for
    this stack's resources and subscribers through SQS; administrators manage without use, grants or
    the key policy; only the deployer puts the policy, and it uses neither key."""
    roles = {k for k, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    for key in KEYS:
        statements = _statements(resources, key)
        check(f"{key} has a key policy", bool(statements))
        allowed = [s for s in statements if s["Effect"] == "Allow"]
        denied = [s for s in statements if s["Effect"] == "Deny"]

        def principal(s):
            return s.get("Principal", {}).get("AWS") if isinstance(s.get("Principal"), dict) else s.get("Principal")

        for s in allowed:
            uses = [a for a in USE if allows(s["Action"], a)]
            if not uses:
                continue
            who, cond = principal(s), s.get("Condition", {})
            sid = s.get("Sid", "?")
            if who is None:  # a service principal: only for this stack's resources
                check(f"{key} {sid}: a service uses the key only for this stack's resources",
                      any(k in json.dumps(cond) for k in ("aws:SourceArn", "kms:EncryptionContext")), str(cond))
            elif who == "*":
                check(f"{key} {sid}: other accounts may only decrypt, through SQS, a subscriber queue",
                      uses == ["kms:Decrypt"] and "sqs." in json.dumps(cond.get("StringEquals", {}))
                      and "kms:EncryptionContext:aws:sqs:arn" in cond.get("ArnLike", {})
                      and cond.get("StringNotEquals") == {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}, str(s))
            elif _is_root(who):
                named = _list(cond.get("ArnEquals", {}).get("aws:PrincipalArn", []))
                exact = bool(named) and all(
                    isinstance(n, dict) and n.get("Fn::GetAtt", [None])[0] in roles and n["Fn::GetAtt"][1] == "Arn"
                    for n in named)
                check(f"{key} {sid}: the account's principals only by exact role ARN", exact
                      and set(cond) <= {"ArnEquals", "StringEquals", "Null"}, str(cond))
            elif who == OPERATORS:
                check(f"{key} {sid}: the dead-letter operators only through SQS, for their queues",
                      "sqs." in json.dumps(cond.get("StringEquals", {}))
                      and "kms:EncryptionContext:aws:sqs:arn" in cond.get("ArnLike", {})
                      and not allows(s["Action"], "kms:CreateGrant"), str(s))
            elif who == DEPLOYER:
                check(f"{key} {sid}: the deployer only lets an AWS service create a grant for its resource",
                      uses == ["kms:CreateGrant"] and cond.get("Bool", {}).get("kms:GrantIsForAWSResource") == "true",
                      str(s))
            else:
                check(f"{key} {sid}: use of the key by {who}", False, "no other principal may use a key")
        check(f"{key}: no role admitted by a pattern (path or wildcard)",
              not any("aws:PrincipalArn" in json.dumps(s.get("Condition", {}).get(op, {}))
                      for s in statements for op in ("ArnLike", "StringLike")))

        def denies(who, action: str, unconditionally: bool = True) -> bool:
            return any(principal(s) == who and allows(s["Action"], action)
                       and (not unconditionally or not s.get("Condition")) for s in denied)

        for s in allowed:
            if principal(s) == ADMINISTRATORS:
                held = [a for a in USE + ["kms:PutKeyPolicy"] if allows(s["Action"], a)]
                check(f"{key}: the administrators hold no use, grant or key policy", not held, str(held))
        check(f"{key}: the administrators are denied every use, grants and the key policy",
              all(denies(ADMINISTRATORS, a) for a in USE + ["kms:PutKeyPolicy"]))
        putters = [principal(s) for s in allowed if allows(s["Action"], "kms:PutKeyPolicy")]
        check(f"{key}: only the deployer may put the key policy", putters == [DEPLOYER], str(putters))
        check(f"{key}: the deployer is denied every use",
              all(denies(DEPLOYER, a) for a in USE if a != "kms:CreateGrant"))
        check(f"{key}: the deployer is denied grants of its own",
              denies(DEPLOYER, "kms:CreateGrant") or any(
                  principal(s) == DEPLOYER and allows(s["Action"], "kms:CreateGrant")
                  and s.get("Condition") == {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}} for s in denied))


def subscribers(resources: dict, check: Check) -> None:
    """Only the deployer (the subscriber stacks) may subscribe to meeting-updates."""
    policy = resources.get("MeetingUpdatesTopicPolicy", {}).get("Properties", {}).get("PolicyDocument", {})
    check("only the deployer subscribes to meeting-updates", any(
        s["Effect"] == "Deny" and s.get("Principal") == "*" and allows(s["Action"], "sns:Subscribe")
        and s.get("Condition") == {"ArnNotEquals": {"aws:PrincipalArn": DEPLOYER}}
        for s in policy.get("Statement", [])), str(policy))


def access_change_alarm(resources: dict, check: Check) -> None:
    """The rules catch changes to both keys and to the topic's subscriptions, deliver them to the
    queue access-changes, and an alarm on what that queue receives notifies the alarm topic."""
    queue = {"Fn::GetAtt": ["AccessChangesQueue", "Arn"]}
    rules = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Events::Rule"}
    for name in ("KeyChangesRule", "SubscriptionChangesRule"):
        rule = rules.get(name, {})
        check(f"{name} delivers to access-changes", [t.get("Arn") for t in rule.get("Targets", [])] == [queue],
              str(rule.get("Targets")))
    key_rule = rules.get("KeyChangesRule", {}).get("EventPattern", {})
    detail = key_rule.get("detail", {})
    check("KeyChangesRule: CloudTrail's KMS management calls", key_rule.get("source") == ["aws.kms"]
          and key_rule.get("detail-type") == ["AWS API Call via CloudTrail"])
    wanted = {"PutKeyPolicy", "CreateGrant", "RetireGrant", "RevokeGrant", "ScheduleKeyDeletion", "DisableKey",
              "DisableKeyRotation"}
    check("KeyChangesRule: key policy, grants, deletion, disabling",
          wanted <= set(detail.get("eventName", [])), str(detail.get("eventName")))
    def same(values, wanted) -> bool:
        return sorted(json.dumps(v, sort_keys=True) for v in _list(values)) == sorted(
            json.dumps(w, sort_keys=True) for w in wanted)

    arns = [{"Fn::GetAtt": [k, "Arn"]} for k in KEYS]
    named = detail.get("$or", [])
    check("KeyChangesRule: both keys, by the id or ARN in the request or the record's resources",
          any(same(n.get("requestParameters", {}).get("keyId", []), [{"Ref": k} for k in KEYS] + arns) for n in named)
          and any(same(n.get("resources", {}).get("ARN", []), arns) for n in named), str(named))
    policy = resources.get("AccessChangesQueuePolicy", {}).get("Properties", {}).get("PolicyDocument", {})
    check("only the rules send to access-changes", any(
        s["Effect"] == "Allow" and s.get("Principal") == {"Service": "events.amazonaws.com"}
        and s.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
        == [{"Fn::GetAtt": [r, "Arn"]} for r in ("KeyChangesRule", "SubscriptionChangesRule")]
        for s in policy.get("Statement", [])), str(policy))
    alarm = resources.get("AccessChangesAlarm", {}).get("Properties", {})
    check("alarm access-changes-to-review on what access-changes receives",
          alarm.get("MetricName") == "NumberOfMessagesSent" and alarm.get("Namespace") == "AWS/SQS"
          and alarm.get("Dimensions") == [{"Name": "QueueName",
                                           "Value": {"Fn::GetAtt": ["AccessChangesQueue", "QueueName"]}}]
          and alarm.get("Threshold") == 0 and alarm.get("ComparisonOperator") == "GreaterThanThreshold", str(alarm))
    to_topic = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    check("alarm access-changes-to-review notifies the alarm topic",
          alarm.get("AlarmActions") == to_topic and alarm.get("OKActions") == to_topic, str(alarm.get("AlarmActions")))


def access_change_rules_route(session, endpoint: str, outputs: dict, check: Check) -> None:
    """On the emulator's EventBridge: CloudTrail-shaped records of changes to the stack's keys and
    topic reach the queue access-changes, and others (another key, another topic, a mere use of the
    key) do not. (The emulator matches a request's keyId; the alternative on the record's resources
    is checked on the template only.)"""
    events, sqs = session.client("events", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)
    url = outputs.get("AccessChangesQueueUrl")
    if not url:
        check("output AccessChangesQueueUrl", False)
        return
    data_key, summons_key, topic = outputs["DataKeyArn"], outputs["SummonsKeyArn"], outputs["MeetingUpdatesTopicArn"]
    cases = [  # (what, source, eventName, requestParameters, expected)
        ("DataKey's policy put", "kms", "PutKeyPolicy", {"keyId": data_key}, True),
        ("a grant on SummonsKey, by key id", "kms", "CreateGrant", {"keyId": summons_key.rsplit("/", 1)[-1]}, True),
        ("DataKey scheduled for deletion", "kms", "ScheduleKeyDeletion", {"keyId": data_key}, True),
        ("SummonsKey disabled", "kms", "DisableKey", {"keyId": summons_key}, True),
        ("another key's policy", "kms", "PutKeyPolicy", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}, False),
        ("a mere decrypt with DataKey", "kms", "Decrypt", {"keyId": data_key}, False),
        ("a subscription to meeting-updates", "sns", "Subscribe", {"topicArn": topic}, True),
        ("a filter policy of meeting-updates changed", "sns", "SetSubscriptionAttributes",
         {"subscriptionArn": f"{topic}:0b0e4c4e-1111-2222-3333-444455556666"}, True),
        ("meeting-updates' policy changed", "sns", "SetTopicAttributes", {"topicArn": topic}, True),
        ("a subscription to another topic", "sns", "Subscribe", {"topicArn": f"{topic}-other"}, False),
    ]
    marks = {}
    for what, service, name, parameters, expected in cases:
        mark = str(uuid.uuid4())
        marks[mark] = (what, expected)
        detail = {"eventID": mark, "eventSource": f"{service}.amazonaws.com", "eventName": name,
                  "requestParameters": parameters, "eventType": "AwsApiCall"}
        events.put_events(Entries=[{"Source": f"aws.{service}", "DetailType": "AWS API Call via CloudTrail",
                                    "Detail": json.dumps(detail)}])
    arrived = set()
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in messages:
            arrived.add(json.loads(m["Body"]).get("detail", {}).get("eventID"))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        if not messages:
            break
    for mark, (what, expected) in marks.items():
        check(f"access-changes {'receives' if expected else 'ignores'} {what}", (mark in arrived) == expected)
