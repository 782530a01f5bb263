#!/usr/bin/env python3
"""Deploys infra/template.yaml, the SAM template that goes to AWS, into the local AWS emulator, and
one stack of infra/subscriber.yaml per subscriber, the way `make subscriber` deploys them to AWS.

    .venv/bin/python scripts/deploy_local.py            # or: scripts/with-moto.sh .venv/bin/python ...
    .venv/bin/python scripts/deploy_local.py --subscriber jobcenter:851 --subscriber akasse:067

What it does, in order:

1. Translates the SAM template to plain CloudFormation with aws-sam-translator, offline (the
   managed-policy map is a stub: the template attaches no managed policies). The functions' CodeUri
   is pointed at a placeholder zip in an emulator S3 bucket, in memory, the way `sam package`
   rewrites it to the uploaded artifact. The template file itself is never changed.
2. Creates the HMAC secret as an SSM SecureString in the emulator (a local development value,
   only if the parameter does not exist yet).
3. Creates the CloudFormation stack `samspil`, or updates it if the translated template or the
   parameters changed; otherwise it changes nothing (so a second run is a no-op). The SQS event
   source mappings are left out of what goes to the emulator (and said so): moto's own SQS-to-Lambda
   wiring would receive every message sent to the inbound queues, invoking a function one message
   at a time and ignoring batchItemFailures, and their target, the functions' alias `live`, is a
   type moto's CloudFormation skips. Locally the functions' code runs through `samspil local`,
   which polls the queues itself.
4. Says which resources the emulator's CloudFormation skipped, and creates through the API what a
   local run needs of them: the SNS subscriptions, with their FilterPolicy, RawMessageDelivery and
   RedrivePolicy. The summons schedule (EventBridge Scheduler) is one of the skipped: locally
   `samspil local` runs the same sweep on a timer. A table's TTL, and its indexes on an update,
   which the emulator accepts without applying, are set through the DynamoDB API.
5. Deploys each subscriber (default: jobcenter:851) as stack `samspil-<kind>-<code>` from
   infra/subscriber.yaml, which imports the main stack's exports, and creates its subscription the
   same way.
6. Writes the stack outputs as JSON to target/local-stack.json (the main stack) and
   target/local-subscribers.json (per subscriber, `<kind>-<code>`), and prints them.

Environment: AWS_ENDPOINT_URL (default http://127.0.0.1:4566, must be a loopback address: this
script never deploys to AWS; `make deploy` does that), AWS_REGION (default eu-north-1).
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import logging
import os
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import boto3
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
SUBSCRIBER_TEMPLATE = ROOT / "infra" / "subscriber.yaml"
OUTPUT = ROOT / "target" / "local-stack.json"
SUBSCRIBERS_OUTPUT = ROOT / "target" / "local-subscribers.json"
# The subscriber every local stack gets unless --subscriber says otherwise (README, "Talking to the
# local stack").
DEFAULT_SUBSCRIBERS = ["jobcenter:851"]

STACK = "samspil"
ARTIFACT_BUCKET = "samspil-local-artifacts"
PLACEHOLDER_KEY = "placeholder-bootstrap.zip"
SECRET_PARAMETER = "/samspil/hmac-secret"
LOCAL_SECRET = "samspil-local-development-secret"  # not a secret: the emulator only
# The parameters of the local stack. AWS's values are in samconfig.toml.
PARAMETERS = {
    "NamePrefix": "",  # the contract's names exactly
    "AkasseAccountIds": "111111111111,222222222222",  # dummies: queue policies are not enforced locally
    # moto reports one SenderId for every message (its default IAM user, DEFAULT_SENDER_ID in
    # moto/sqs/models.py), whatever the credentials: locally that principal sends for the a-kasser
    # of examples/ and the tests; any other a-kasse is a sender_mismatch. It cannot also be a
    # redrive principal, so a redrive here is checked as that a-kasse principal's own message.
    "AkasseSenders": "AIDAIT2UOQQY3AUEKVGXU=067,AIDAIT2UOQQY3AUEKVGXU=010,AIDAIT2UOQQY3AUEKVGXU=048",
    # dummies: key and topic policies are not enforced locally
    "DeployerRoleArn": "arn:aws:iam::123456789012:role/samspil-deployer",
    "KeyAdministratorArns": "arn:aws:iam::123456789012:role/samspil-key-admin",
    "DeadLetterOperatorArns": "arn:aws:iam::123456789012:role/samspil-operator",
    "HmacSecretParameterName": SECRET_PARAMETER,
}

# The local subscribers' consumer: moto does not enforce resource policies, any principal will do.
LOCAL_CONSUMER = "arn:aws:iam::123456789012:root"

# Resource types the deployer leaves out of what it gives the emulator, and why (step 3).
WITHHELD_TYPES = {
    "AWS::Lambda::EventSourceMapping": "left out: moto would poll the queues itself (one message per "
                                       "invocation, batchItemFailures ignored); `samspil local` polls them",
}

# What the local run does about each resource type the emulator's CloudFormation skips.
SKIPPED_TYPES = {
    "AWS::SNS::Subscription": "created through the SNS API below (FilterPolicy, RawMessageDelivery, RedrivePolicy)",
    "AWS::Lambda::Alias": "not needed locally (`samspil local` runs the code; no versions to shift between)",
    "AWS::CodeDeploy::Application": "not needed locally (no gradual deployments in the emulator)",
    "AWS::CodeDeploy::DeploymentGroup": "not needed locally (no gradual deployments in the emulator)",
    "AWS::CloudWatch::Dashboard": "not created locally (the emulator has no metrics to show)",
    "AWS::SQS::QueuePolicy": "not needed locally (the emulator does not enforce resource policies)",
    "AWS::CloudWatch::Alarm": "not created locally (the emulator has no metrics to alarm on)",
    "AWS::SNS::TopicPolicy": "not needed locally (the emulator does not enforce resource policies)",
    "AWS::Scheduler::Schedule": "not created locally: `samspil local` runs the same summons sweep on a timer "
                                "(`samspil sweep` runs it once)",
    "AWS::Lambda::EventInvokeConfig": "not needed locally (nothing invokes the functions asynchronously)",
}


class EmptyManagedPolicyMap:
    """The managed-policy map aws-sam-translator asks for (normally read from IAM). The template
    names no managed policies, and the translation must work offline."""

    def load(self) -> dict[str, str]:
        return {}


def say(line: str = "") -> None:
    print(f"deploy_local: {line}" if line else "", flush=True)


def endpoint_and_region() -> tuple[str, str]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    host = urlparse(endpoint).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        sys.exit(f"deploy_local: AWS_ENDPOINT_URL={endpoint} is not a local emulator; refusing to deploy")
    return endpoint, os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-north-1"


def clients(endpoint: str, region: str) -> dict:
    session = boto3.session.Session(
        region_name=region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )
    names = ["cloudformation", "s3", "ssm", "sqs", "sns", "lambda", "sts", "dynamodb"]
    return {name: session.client(name, endpoint_url=endpoint) for name in names}


def translate(region: str, account: str) -> dict:
    """The SAM template as plain CloudFormation, with the functions' code in the emulator's S3."""
    sam = yaml_parse(TEMPLATE.read_text())
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            # What `sam package` does with the built artifact; here a placeholder (see module doc).
            resource["Properties"]["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{PLACEHOLDER_KEY}"
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"}
    # The translator checks that boto3 knows a region even when it is given one.
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    # Offline, it has no feature-toggle config and warns once per function with a deployment
    # preference that it uses the defaults; that is all it says at warning level.
    logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)
    return transform(sam, {**pseudo, **PARAMETERS}, EmptyManagedPolicyMap())


def ensure_secret(ssm) -> None:
    try:
        ssm.get_parameter(Name=SECRET_PARAMETER)
        say(f"SSM parameter {SECRET_PARAMETER} exists; kept as it is")
    except ssm.exceptions.ParameterNotFound:
        ssm.put_parameter(Name=SECRET_PARAMETER, Value=LOCAL_SECRET, Type="SecureString",
                          Description="samspil HMAC secret for person keys (local development value)")
        say(f"SSM parameter {SECRET_PARAMETER} created (SecureString, local development value)")


def ensure_placeholder_code(s3, region: str) -> None:
    """The functions' code in the emulator: a bootstrap that only explains itself. It never runs:
    the event source mappings are left out, and `samspil local` runs the real handlers."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if ARTIFACT_BUCKET not in existing:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    script = "#!/bin/sh\necho 'samspil placeholder: locally the functions run through samspil local' >&2\nexit 1\n"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o755 << 16
        z.writestr(info, script)
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=PLACEHOLDER_KEY, Body=archive.getvalue())


def find_stack(cfn, name: str) -> dict | None:
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as e:
        if "does not exist" in str(e):
            return None
        raise
    return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack


def wait(cfn, name: str, action: str) -> dict:
    deadline = time.monotonic() + 120
    while True:
        stack = find_stack(cfn, name)
        status = stack["StackStatus"] if stack else "GONE"
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            sys.exit(f"deploy_local: stack {name} still {status} after 120 s")
        time.sleep(0.5)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        reason = stack.get("StackStatusReason", "") if stack else ""
        sys.exit(f"deploy_local: {action} of stack {name} ended in {status} {reason}")
    return stack


def deploy_stack(cfn, name: str, body: str, values: dict[str, str]) -> str:
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]
    stack = find_stack(cfn, name)
    if stack and stack["StackStatus"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        say(f"stack {name} is {stack['StackStatus']}; deleting it and creating it again")
        cfn.delete_stack(StackName=name)
        deadline = time.monotonic() + 60
        while find_stack(cfn, name) and time.monotonic() < deadline:
            time.sleep(0.5)
        stack = None
    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
    if stack is None:
        cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters, Capabilities=capabilities)
        wait(cfn, name, "creation")
        return "created"
    deployed_body = cfn.get_template(StackName=name)["TemplateBody"]
    deployed_params = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    same_params = all(_parameter(deployed_params.get(k)) == v for k, v in values.items())
    if _normalised(deployed_body) == _normalised(body) and same_params:
        return "unchanged (no-op)"
    cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters, Capabilities=capabilities)
    wait(cfn, name, "update")
    return "updated"


def _parameter(value: str | None) -> str | None:
    """A deployed parameter value as it was given: moto reports a CommaDelimitedList as the repr
    of a Python list ("['1', '2']")."""
    if value and value.startswith("["):
        try:
            return ",".join(str(v) for v in ast.literal_eval(value))
        except (ValueError, SyntaxError):
            pass
    return value


def _normalised(body) -> str:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body
    return json.dumps(body, sort_keys=True)


def withhold(template: dict) -> dict[str, str]:
    """Takes the resources of WITHHELD_TYPES out of `template` (in memory); returns them by logical
    id with their type."""
    withheld = {k: r["Type"] for k, r in template["Resources"].items() if r["Type"] in WITHHELD_TYPES}
    for logical in withheld:
        del template["Resources"][logical]
    return withheld


def apply_ignored_properties(ddb, translated: dict, physical: dict) -> list[str]:
    """Properties the emulator's CloudFormation accepts but does not apply, set through the API.
    Today: a table's TimeToLiveSpecification (the items' `expires_at` must be the TTL attribute
    locally too, even though the emulator never deletes expired items), and a table's global
    secondary indexes when the stack is updated (the emulator creates them only with the table)."""
    done = []
    for logical, resource in sorted(translated["Resources"].items()):
        if resource["Type"] == "AWS::DynamoDB::Table" and logical in physical:
            done += ensure_indexes(ddb, physical[logical], resource.get("Properties", {}))
    for logical, resource in sorted(translated["Resources"].items()):
        spec = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if resource["Type"] != "AWS::DynamoDB::Table" or not spec or logical not in physical:
            continue
        table = physical[logical]
        current = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if enabled and current.get("AttributeName") == spec["AttributeName"]:
            done.append(f"table {table}: TTL on {spec['AttributeName']} already set")
            continue
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "AttributeName": spec["AttributeName"], "Enabled": bool(spec.get("Enabled", True))})
        done.append(f"table {table}: the emulator ignored TimeToLiveSpecification; TTL on "
                    f"{spec['AttributeName']} set through the API (it is stored, never enforced)")
    return done


def ensure_indexes(ddb, table: str, props: dict) -> list[str]:
    """Creates the template's global secondary indexes a table lacks (an emulator stack updated from
    a template without them); says what it did."""
    wanted = props.get("GlobalSecondaryIndexes") or []
    have = {i["IndexName"] for i in ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])}
    definitions = {d["AttributeName"]: d for d in props.get("AttributeDefinitions", [])}
    done = []
    for index in wanted:
        if index["IndexName"] in have:
            continue
        names = [k["AttributeName"] for k in index["KeySchema"]]
        ddb.update_table(TableName=table, AttributeDefinitions=[definitions[n] for n in names],
                         GlobalSecondaryIndexUpdates=[{"Create": {
                             "IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                             "Projection": index["Projection"]}}])
        done.append(f"table {table} lacked index {index['IndexName']} (the emulator adds indexes only to a new table); "
                    "created through the API")
    return done


class Resolver:
    """Resolves the intrinsic functions of a skipped resource's properties against the deployed
    stack: Ref (parameters and resources), Fn::GetAtt <queue>.Arn and <queue>.QueueName, Fn::Sub,
    Fn::ImportValue (the emulator's exports) and Fn::If on the stack's conditions."""

    def __init__(self, template: dict, values: dict[str, str], physical: dict, aws: dict):
        self.template, self.values, self.physical, self.aws = template, values, physical, aws

    def parameter(self, name: str):
        if name in self.values:
            return self.values[name]
        if name == "AWS::StackName":
            return self.values.get("AWS::StackName")
        default = self.template.get("Parameters", {}).get(name, {}).get("Default")
        return default

    def condition(self, name: str) -> bool:
        return bool(self.evaluate(self.template["Conditions"][name]))

    def evaluate(self, expression):
        """A condition expression: Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition."""
        if isinstance(expression, dict) and len(expression) == 1:
            (function, argument), = expression.items()
            if function == "Fn::Equals":
                left, right = (self(a) for a in argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not self.evaluate(argument[0])
            if function == "Fn::And":
                return all(self.evaluate(a) for a in argument)
            if function == "Fn::Or":
                return any(self.evaluate(a) for a in argument)
            if function == "Condition":
                return self.condition(argument)
        raise ValueError(f"cannot evaluate condition {expression!r} locally")

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            name = value["Ref"]
            resolved = self.parameter(name)
            return resolved if resolved is not None else self.physical[name]
        if set(value) == {"Fn::GetAtt"}:
            logical, attribute = value["Fn::GetAtt"]
            url = self.physical[logical]
            if attribute == "Arn":
                attributes = self.aws["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                return attributes["Attributes"]["QueueArn"]
            if attribute == "QueueName":
                return url.rsplit("/", 1)[-1]
            raise ValueError(f"cannot resolve Fn::GetAtt {logical}.{attribute} locally")
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            names = list(self.values) + list(self.template.get("Parameters", {}))
            for name in names:
                if "${" + name + "}" in text:
                    text = text.replace("${" + name + "}", str(self({"Ref": name})))
            return text
        if set(value) == {"Fn::ImportValue"}:
            name = self(value["Fn::ImportValue"])
            exports = {e["Name"]: e["Value"] for e in self.aws["cloudformation"].list_exports()["Exports"]}
            return exports[name]
        if set(value) == {"Fn::If"}:
            condition, then, otherwise = value["Fn::If"]
            return self(then if self.condition(condition) else otherwise)
        return {k: self(v) for k, v in value.items()}


def ensure_subscription(sns, props: dict) -> str:
    """Creates the subscription, or brings an existing one's attributes to the template's."""
    attributes = {}
    for name in ("RawMessageDelivery", "FilterPolicyScope"):
        if name in props:
            attributes[name] = str(props[name]).lower() if name == "RawMessageDelivery" else str(props[name])
    for name in ("FilterPolicy", "RedrivePolicy"):
        if name in props:
            policy = props[name]
            attributes[name] = policy if isinstance(policy, str) else json.dumps(policy, sort_keys=True)
    topic, protocol, endpoint = props["TopicArn"], props["Protocol"], props["Endpoint"]
    existing = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                if s["Protocol"] == protocol and s["Endpoint"] == endpoint]
    if existing:
        arn = existing[0]["SubscriptionArn"]
        current = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        changed = [k for k, v in attributes.items() if _attribute_differs(k, current.get(k), v)]
        for name in changed:
            sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=attributes[name])
        return f"{arn} ({'updated ' + ', '.join(changed) if changed else 'unchanged'})"
    arn = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint, Attributes=attributes,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    return f"{arn} (created)"


def _attribute_differs(name: str, current, wanted: str) -> bool:
    if current is None:
        return True
    if name in ("FilterPolicy", "RedrivePolicy"):
        return json.loads(current) != json.loads(wanted)
    return str(current).lower() != wanted.lower()


def deploy(aws: dict, name: str, template: dict, values: dict[str, str]) -> dict[str, str]:
    """Deploys `template` as stack `name` and does what the emulator skipped; returns the outputs."""
    cfn = aws["cloudformation"]
    withheld = withhold(template)
    outcome = deploy_stack(cfn, name, json.dumps(template, sort_keys=True), values)
    say(f"stack {name}: {outcome}")
    for logical, type_ in sorted(withheld.items()):
        say(f"  {type_} {logical}: {WITHHELD_TYPES[type_]}")

    described = cfn.describe_stack_resources(StackName=name)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described
                if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}
    # moto lists some resources it created without a physical id (a function version, for one).
    present = {r["LogicalResourceId"] for r in described if r.get("LogicalResourceId")}
    resolve = Resolver(template, {**values, "AWS::StackName": name}, physical, aws)
    wanted = {k: r for k, r in template["Resources"].items()
              if "Condition" not in r or resolve.condition(r["Condition"])}
    skipped = {k: r["Type"] for k, r in wanted.items() if k not in present}
    if skipped:
        say(f"  the emulator skipped {len(skipped)} of {len(wanted)} resources:")
        for type_ in sorted(set(skipped.values())):
            names = sorted(k for k, t in skipped.items() if t == type_)
            say(f"    {type_} ({len(names)}): {', '.join(names)}")
            say(f"      -> {SKIPPED_TYPES.get(type_, 'NOT handled locally')}")
    else:
        say("  the emulator created every resource")

    for line in apply_ignored_properties(aws["dynamodb"], template, physical):
        say(f"  {line}")
    for logical, type_ in sorted(skipped.items()):
        if type_ == "AWS::SNS::Subscription":
            props = resolve(template["Resources"][logical]["Properties"])
            say(f"  subscription {logical}: {ensure_subscription(aws['sns'], props)}")

    stack = find_stack(cfn, name)
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def subscriber(text: str) -> tuple[str, str]:
    """`jobcenter:851` or `akasse:067` as (kind, code)."""
    kind, _, code = text.partition(":")
    if kind not in ("jobcenter", "akasse") or not (len(code) == 3 and code.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r}: want jobcenter:<municipality code> or akasse:<number>, 3 digits")
    return kind, code


def write(path: Path, outputs: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    say(f"outputs written to {shown}:")
    print(json.dumps(outputs, indent=2, sort_keys=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where the main stack's outputs go (JSON)")
    parser.add_argument("--subscriber", type=subscriber, action="append", metavar="KIND:CODE",
                        help="a subscriber stack to deploy, e.g. jobcenter:851 or akasse:067 (repeatable; "
                             f"default {' '.join(DEFAULT_SUBSCRIBERS)})")
    args = parser.parse_args()
    subscribers = args.subscriber or [subscriber(s) for s in DEFAULT_SUBSCRIBERS]

    endpoint, region = endpoint_and_region()
    aws = clients(endpoint, region)
    account = aws["sts"].get_caller_identity()["Account"]
    say(f"emulator {endpoint}, region {region}, account {account}")

    translated = translate(region, account)
    say(f"translated {TEMPLATE.relative_to(ROOT)}: {len(translated['Resources'])} CloudFormation resources")
    ensure_secret(aws["ssm"])
    ensure_placeholder_code(aws["s3"], region)
    write(args.output, deploy(aws, STACK, translated, PARAMETERS))

    subscriber_template = yaml_parse(SUBSCRIBER_TEMPLATE.read_text())
    outputs = {}
    for kind, code in subscribers:
        values = {"MainStackName": STACK, "Kind": kind, "Code": code, "ConsumerPrincipalArn": LOCAL_CONSUMER}
        template = json.loads(json.dumps(subscriber_template))  # a copy: deploy() takes resources out
        outputs[f"{kind}-{code}"] = deploy(aws, f"{STACK}-{kind}-{code}", template, values)
    write(SUBSCRIBERS_OUTPUT, outputs)


if __name__ == "__main__":
    main()
