#!/usr/bin/env python3
"""Test of scripts/deploy.py and samconfig.toml, without AWS: runs `deploy.py --dry-run` and checks
that a deploy is refused without the values that must be real, or with a principal that is both
deployer, key administrator or dead-letter operator, that staging and prod get their own stack,
parameters and tags, that only prod gets termination protection, and what a subscriber deploy
runs. Ends with the line 'deploy config: N passed, N failed'.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = {
    "SAMSPIL_AKASSE_ACCOUNT_IDS": "111111111111,222222222222",
    "SAMSPIL_ALARM_TOPIC_ARN": "arn:aws:sns:eu-north-1:333333333333:samspil-alarms",
    "SAMSPIL_OWNER": "team-samspil",
    "SAMSPIL_AKASSE_SENDERS": "AROAEXAMPLEAKASSE067=067,AROAEXAMPLEOPERATOR=redrive",
    "SAMSPIL_DEPLOYER_ROLE_ARN": "arn:aws:iam::123456789012:role/samspil-deployer",
    "SAMSPIL_KEY_ADMINISTRATOR_ARNS": "arn:aws:iam::123456789012:role/samspil-key-admin",
    "SAMSPIL_DEAD_LETTER_OPERATOR_ARNS": "arn:aws:iam::123456789012:role/samspil-operator",
}
passed, failed = 0, []


def check(name: str, condition: bool, detail: str = "") -> None:
    global passed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed.append(name)
        print(f"FAIL {name}{': ' + detail if detail else ''}")


def dry_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SAMSPIL_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "deploy.py"), "--dry-run", *args],
                          capture_output=True, text=True, env=environ, timeout=30)


def main() -> None:
    refused = dry_run("stack", "prod")
    check("prod without the real values is refused", refused.returncode == 2 and not refused.stdout, refused.stdout)
    check("the refusal names every missing value",
          all(name in refused.stderr for name in REAL), refused.stderr)
    bad = dry_run("stack", "staging", env={**REAL, "SAMSPIL_AKASSE_ACCOUNT_IDS": "111111111111,12345"})
    check("a malformed account id is refused", bad.returncode == 2 and "SAMSPIL_AKASSE_ACCOUNT_IDS" in bad.stderr)
    admin, operator = REAL["SAMSPIL_KEY_ADMINISTRATOR_ARNS"], REAL["SAMSPIL_DEAD_LETTER_OPERATOR_ARNS"]
    for name, env in (("the deployer as a key administrator", {"SAMSPIL_DEPLOYER_ROLE_ARN": admin}),
                      ("a key administrator as a dead-letter operator",
                       {"SAMSPIL_DEAD_LETTER_OPERATOR_ARNS": f"{operator},{admin}"}),
                      ("the deployer as a dead-letter operator", {"SAMSPIL_DEPLOYER_ROLE_ARN": operator})):
        mixed = dry_run("stack", "prod", env={**REAL, **env})
        check(f"{name} is refused", mixed.returncode == 2 and not mixed.stdout and "must be different" in mixed.stderr,
              mixed.stdout + mixed.stderr)
    user = dry_run("stack", "prod", env={**REAL, "SAMSPIL_DEPLOYER_ROLE_ARN": "arn:aws:iam::123456789012:user/alice"})
    check("a deployer that is not a role is refused", user.returncode == 2 and "SAMSPIL_DEPLOYER_ROLE_ARN" in user.stderr)
    unknown = dry_run("stack", "default", env=REAL)
    check("an environment that is not staging or prod is refused", unknown.returncode == 2, unknown.stderr)

    for env, stack in (("staging", "samspil-staging"), ("prod", "samspil-prod")):
        run = dry_run("stack", env, env=REAL)
        out = run.stdout
        check(f"{env}: deploys", run.returncode == 0, run.stderr)
        check(f"{env}: builds and deploys with its samconfig section",
              f"sam build --config-env {env}" in out and f"sam deploy --config-env {env}" in out, out)
        check(f"{env}: its own name prefix", f"NamePrefix={stack}-" in out, out)
        check(f"{env}: the real values as parameters",
              "AkasseAccountIds=111111111111,222222222222" in out and f"AlarmTopicArn={REAL['SAMSPIL_ALARM_TOPIC_ARN']}" in out
              and f"DeployerRoleArn={REAL['SAMSPIL_DEPLOYER_ROLE_ARN']}" in out
              and f"KeyAdministratorArns={REAL['SAMSPIL_KEY_ADMINISTRATOR_ARNS']}" in out, out)
        check(f"{env}: tags environment, owner, data classification",
              f"environment={env}" in out and "owner=team-samspil" in out and "data-classification=" in out, out)
        protected = f"enable termination protection on stack {stack} " in out
        check(f"{env}: termination protection {'on' if env == 'prod' else 'off'}", protected == (env == "prod"), out)

    sub = dry_run("subscriber", "prod", "jobcenter", "851", "arn:aws:iam::210987654321:role/jobcenter-851",
                  env={k: v for k, v in REAL.items() if k != "SAMSPIL_AKASSE_ACCOUNT_IDS"})
    out = sub.stdout
    check("a subscriber deploys without the a-kasse accounts", sub.returncode == 0, sub.stderr)
    check("a subscriber is its own stack from infra/subscriber.yaml",
          "--template-file infra/subscriber.yaml --stack-name samspil-prod-jobcenter-851" in out, out)
    check("a subscriber imports from the environment's stack", "MainStackName=samspil-prod" in out, out)
    check("a subscriber never deploys the main stack", "--config-env" not in out, out)
    wrong = dry_run("subscriber", "prod", "jobcenter", "85", "arn:aws:iam::210987654321:role/x", env=REAL)
    check("a subscriber code that is not 3 digits is refused", wrong.returncode == 2 and "CODE" in wrong.stderr)

    print(f"deploy config: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
