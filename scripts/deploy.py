#!/usr/bin/env python3
"""Deploys samspil to AWS: the stack of one environment, or one subscriber beside it.

    make deploy ENV=staging                      # = scripts/deploy.py stack staging
    make subscriber ENV=prod KIND=jobcenter CODE=851 CONSUMER=arn:aws:iam::210987654321:role/jobcenter-851
                                                 # = scripts/deploy.py subscriber prod jobcenter 851 arn:...

The environments are the sections of samconfig.toml (`staging`, `prod`): stack name, region,
parameters and tags that are the same for every deploy. What must be real and has no sensible
default is NOT in that file, and this script refuses to deploy without it, before calling anything:

    SAMSPIL_AKASSE_ACCOUNT_IDS   the a-kasse accounts allowed to send (comma-separated, 12 digits each)
    SAMSPIL_ALARM_TOPIC_ARN      the SNS topic the alarms notify (arn:aws:sns:...)
    SAMSPIL_OWNER                the owning team, as the `owner` tag (e.g. samspil-team@example.org)
    SAMSPIL_AKASSE_SENDERS       which sending principal speaks for which a-kasse (AkasseSenders,
                                 docs/security.md), e.g. AROAEXAMPLE067=067,AROAEXAMPLEOPS=redrive
    SAMSPIL_DEPLOYER_ROLE_ARN          the role CloudFormation deploys as: the only one that may put the
                                       keys' policies and subscribe to the topic (uses neither key)
    SAMSPIL_KEY_ADMINISTRATOR_ARNS     who administers the two keys (can neither use them nor change
                                       their policies)
    SAMSPIL_DEAD_LETTER_OPERATOR_ARNS  who may read dead letters (decrypt through SQS only)

(a subscriber needs only the alarm topic and the owner). The deployer, the key administrators and
the dead-letter operators must be three separate sets of principals (docs/security.md): the keys deny
the deployer and the administrators every use, and the administrators the key policy, so a principal
in two of the sets would be refused what one of them needs, and would mix administration with use.

The stack: `sam build --config-env ENV`, then `sam deploy --config-env ENV` with samconfig.toml's
parameters and tags plus the ones above (sam replaces, not merges, a list given on the command
line, so the script passes the whole list). In prod, it then switches on the stack's termination
protection (boto3, from .venv). A subscriber: `sam deploy` of infra/subscriber.yaml as stack `<stack>-<kind>-<code>`,
importing the environment stack's exports; the main stack is not touched.

`--dry-run` prints the commands instead of running them (scripts/test_deploy_config.py uses it).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMCONFIG = ROOT / "samconfig.toml"
ENVIRONMENTS = ("staging", "prod")
# Environments whose stack CloudFormation refuses to delete until the protection is switched off.
TERMINATION_PROTECTED = {"prod"}

REQUIRED = {
    "SAMSPIL_AKASSE_ACCOUNT_IDS": (r"^[0-9]{12}(,[0-9]{12})*$", "comma-separated 12-digit AWS account ids"),
    "SAMSPIL_ALARM_TOPIC_ARN": (r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", "an SNS topic ARN"),
    "SAMSPIL_OWNER": (r"^[A-Za-z0-9 ._:/=+@-]{2,256}$", "the owning team (a tag value)"),
    "SAMSPIL_AKASSE_SENDERS": (r"^[A-Za-z0-9]+=([0-9]{3}|redrive)(,[A-Za-z0-9]+=([0-9]{3}|redrive))*$",
                               "comma-separated principal-id=akasse (or =redrive) entries (docs/security.md)"),
    "SAMSPIL_DEPLOYER_ROLE_ARN": (r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[^,\s]+$",
                                  "the IAM role ARN CloudFormation deploys as (docs/operations.md)"),
    "SAMSPIL_KEY_ADMINISTRATOR_ARNS": (r"^arn:aws[a-z-]*:iam::[0-9]{12}:[^,\s]+(,arn:aws[a-z-]*:iam::[0-9]{12}:[^,\s]+)*$",
                                       "comma-separated IAM ARNs of the data key's administrators"),
    "SAMSPIL_DEAD_LETTER_OPERATOR_ARNS": (r"^arn:aws[a-z-]*:iam::[0-9]{12}:[^,\s]+(,arn:aws[a-z-]*:iam::[0-9]{12}:[^,\s]+)*$",
                                          "comma-separated IAM ARNs of those who may read dead letters"),
}
# The stack's parameters that come from the values above.
PARAMETERS = {
    "AkasseAccountIds": "SAMSPIL_AKASSE_ACCOUNT_IDS",
    "AlarmTopicArn": "SAMSPIL_ALARM_TOPIC_ARN",
    "AkasseSenders": "SAMSPIL_AKASSE_SENDERS",
    "DeployerRoleArn": "SAMSPIL_DEPLOYER_ROLE_ARN",
    "KeyAdministratorArns": "SAMSPIL_KEY_ADMINISTRATOR_ARNS",
    "DeadLetterOperatorArns": "SAMSPIL_DEAD_LETTER_OPERATOR_ARNS",
}


# The step after a deploy that switches on termination protection (through boto3, from .venv: the SAM
# CLI does not do it, and the AWS CLI need not be installed).
PROTECT = "enable-termination-protection"


class Refused(Exception):
    """A deploy this script will not start, and why."""


def settings(env: str) -> dict:
    """samconfig.toml's deploy parameters of `env`."""
    if env not in ENVIRONMENTS:
        raise Refused(f"ENV must be one of {', '.join(ENVIRONMENTS)} (got {env!r})")
    config = tomllib.loads(SAMCONFIG.read_text())
    try:
        return config[env]["deploy"]["parameters"]
    except KeyError:
        raise Refused(f"samconfig.toml has no [{env}.deploy.parameters]") from None


def required(environ: dict[str, str], names=tuple(REQUIRED)) -> dict[str, str]:
    """The values that must be real, from the environment; refuses naming every one missing or malformed."""
    problems, values = [], {}
    for name in names:
        pattern, what = REQUIRED[name]
        value = environ.get(name, "").strip()
        if not value:
            problems.append(f"{name} is not set ({what})")
        elif not re.fullmatch(pattern, value):
            problems.append(f"{name} is not {what}: {value!r}")
        values[name] = value
    if problems:
        raise Refused("refusing to deploy:\n  " + "\n  ".join(problems))
    return values


def separate_duties(values: dict[str, str]) -> None:
    """Refuses a principal that is in more than one of: deployer, key administrators, dead-letter
    operators (the key policies keep administration apart from use only if they are apart)."""
    roles = {
        "SAMSPIL_DEPLOYER_ROLE_ARN": {values["SAMSPIL_DEPLOYER_ROLE_ARN"]},
        "SAMSPIL_KEY_ADMINISTRATOR_ARNS": set(values["SAMSPIL_KEY_ADMINISTRATOR_ARNS"].split(",")),
        "SAMSPIL_DEAD_LETTER_OPERATOR_ARNS": set(values["SAMSPIL_DEAD_LETTER_OPERATOR_ARNS"].split(",")),
    }
    names = list(roles)
    problems = [f"{arn} is in both {a} and {b}" for i, a in enumerate(names) for b in names[i + 1:]
                for arn in sorted(roles[a] & roles[b])]
    if problems:
        raise Refused("refusing to deploy: the deployer, the key administrators and the dead-letter operators "
                      "must be different principals (docs/security.md):\n  " + "\n  ".join(problems))


def tags(config: dict, env: str, owner: str) -> list[str]:
    """samconfig's tags, checked to name the environment and the data classification, plus owner."""
    given = shlex.split(config.get("tags", ""))
    keys = {t.split("=", 1)[0]: t.split("=", 1)[1] for t in given if "=" in t}
    if keys.get("environment") != env or "data-classification" not in keys:
        raise Refused(f"samconfig.toml [{env}.deploy.parameters] tags must set environment={env} and "
                      "data-classification")
    return given + [f"owner={owner}"]


def stack_commands(env: str, environ: dict[str, str]) -> list[list[str]]:
    config = settings(env)
    values = required(environ)
    separate_duties(values)
    overrides = list(config.get("parameter_overrides", [])) + [
        f"{parameter}={values[name]}" for parameter, name in PARAMETERS.items()
    ]
    commands = [
        ["sam", "build", "--config-env", env],
        ["sam", "deploy", "--config-env", env, "--parameter-overrides", *overrides,
         "--tags", *tags(config, env, values["SAMSPIL_OWNER"])],
    ]
    if env in TERMINATION_PROTECTED:
        commands.append([PROTECT, config["region"], config["stack_name"]])
    return commands


def subscriber_commands(env: str, kind: str, code: str, consumer: str, environ: dict[str, str]) -> list[list[str]]:
    config = settings(env)
    if kind not in ("jobcenter", "akasse"):
        raise Refused(f"KIND must be jobcenter or akasse (got {kind!r})")
    if not re.fullmatch(r"[0-9]{3}", code):
        raise Refused(f"CODE must be the municipality code or a-kasse number, 3 digits (got {code!r})")
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)", consumer):
        raise Refused(f"CONSUMER must be the IAM role (or account root) ARN of the subscriber's system (got {consumer!r})")
    values = required(environ, ("SAMSPIL_ALARM_TOPIC_ARN", "SAMSPIL_OWNER"))
    main = config["stack_name"]
    commands = [
        ["sam", "deploy", "--template-file", "infra/subscriber.yaml", "--stack-name", f"{main}-{kind}-{code}",
         "--region", config["region"], "--no-fail-on-empty-changeset",
         "--parameter-overrides", f"MainStackName={main}", f"Kind={kind}", f"Code={code}",
         f"ConsumerPrincipalArn={consumer}", f"AlarmTopicArn={values['SAMSPIL_ALARM_TOPIC_ARN']}",
         "--tags", *tags(config, env, values["SAMSPIL_OWNER"]), f"subscriber={kind}-{code}"],
    ]
    if env in TERMINATION_PROTECTED:
        commands.append([PROTECT, config["region"], f"{main}-{kind}-{code}"])
    return commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    sub = parser.add_subparsers(dest="what", required=True)
    stack = sub.add_parser("stack", help="the environment's stack (infra/template.yaml)")
    stack.add_argument("env")
    one = sub.add_parser("subscriber", help="one subscriber stack (infra/subscriber.yaml)")
    for name in ("env", "kind", "code", "consumer"):
        one.add_argument(name)
    args = parser.parse_args()
    try:
        if args.what == "stack":
            commands = stack_commands(args.env, dict(os.environ))
        else:
            commands = subscriber_commands(args.env, args.kind, args.code, args.consumer, dict(os.environ))
    except Refused as refused:
        print(f"deploy: {refused}", file=sys.stderr)
        return 2
    for command in commands:
        if command[0] == PROTECT:
            _, region, name = command
            print(f"deploy: enable termination protection on stack {name} ({region})", flush=True)
            if not args.dry_run:
                import boto3  # only here: a dry run needs nothing but the standard library

                boto3.client("cloudformation", region_name=region).update_termination_protection(
                    EnableTerminationProtection=True, StackName=name)
            continue
        print("deploy: " + shlex.join(command), flush=True)
        if not args.dry_run:
            subprocess.run(command, cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
