#!/usr/bin/env python3
"""The facts the pages state that the templates, the deployer and the Makefile also know, checked
against them, so that a page cannot drift from what is built (docs/doc-facts.md lists every such
fact and the test that keeps it true). No AWS, no emulator: it reads infra/template.yaml,
infra/subscriber.yaml, scripts/deploy.py, samconfig.toml, the Makefile and the trycmd cases, and
runs the library's compiled build script on a broken copy of the policy file.

    .venv/bin/python scripts/test_docs.py        # `make test-docs`, part of `make test`

Ends with the line 'doc facts: N passed, N failed'.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

import deploy  # scripts/deploy.py, this file's directory

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = yaml_parse((ROOT / "infra" / "template.yaml").read_text())
SUBSCRIBER = yaml_parse((ROOT / "infra" / "subscriber.yaml").read_text())
DAY = 86400
# The pages readers get, and the worked receiver's own description.
PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")), "examples/receiver.py"]

passed, failed = 0, []


def check(name: str, condition: bool, detail: str = "") -> None:
    global passed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed.append(name)
        print(f"FAIL {name}{': ' + detail if detail else ''}")


def page(path: str) -> str:
    return (ROOT / path).read_text()


def section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.M)
    if not match:
        return ""
    level = len(match.group(1))
    rest = text[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in `text`, as lists of stripped cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-:| ]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def resources(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def sub_text(value) -> str:
    """A `!Sub` string (or a plain one), its variables left as they are."""
    return value["Fn::Sub"] if isinstance(value, dict) and "Fn::Sub" in value else str(value)


# --- 1. The values `make deploy` needs ---------------------------------------------------------

def deploy_variables() -> None:
    """scripts/deploy.py's REQUIRED names are the ones every page names, no more, no fewer."""
    wanted = set(deploy.REQUIRED)
    operations = page("docs/operations.md")
    listed = {m for row in table_rows(section(operations, "Environments")) for m in re.findall(r"`(SAMSPIL_\w+)`", row[0])}
    check("operations.md, Environments: its table lists exactly the SAMSPIL_* values scripts/deploy.py requires",
          listed == wanted, f"missing {sorted(wanted - listed)}, extra {sorted(listed - wanted)}")
    for path, where in (("README.md", section(page("README.md"), "Running it in AWS")),
                        ("docs/operations.md", section(operations, "Deploy to AWS")),
                        ("samconfig.toml", page("samconfig.toml"))):
        named = set(re.findall(r"SAMSPIL_[A-Z_]+[A-Z]", where))
        check(f"{path} names every SAMSPIL_* value `make deploy` requires, and no other",
              named == wanted, f"missing {sorted(wanted - named)}, extra {sorted(named - wanted)}")
    for path in PAGES:
        stale = set(re.findall(r"SAMSPIL_[A-Z_]+[A-Z]", page(path))) - wanted
        check(f"{path}: every SAMSPIL_* value it names is one scripts/deploy.py reads", not stale, str(sorted(stale)))
    parameters = TEMPLATE["Parameters"]
    check("each SAMSPIL_* value feeds a parameter of the template",
          all(p in parameters for p in deploy.PARAMETERS), str(sorted(set(deploy.PARAMETERS) - set(parameters))))


def parameters_table() -> None:
    """operations.md's table of the template's parameters: every one, with its default."""
    rows = table_rows(section(page("docs/operations.md"), "Parameters"))
    documented = {row[0].strip("`"): row[1] for row in rows if row[0].startswith("`")}
    check("operations.md, Parameters: one row per template parameter",
          set(documented) == set(TEMPLATE["Parameters"]),
          f"missing {sorted(set(TEMPLATE['Parameters']) - set(documented))}, extra {sorted(set(documented) - set(TEMPLATE['Parameters']))}")
    for name, spec in TEMPLATE["Parameters"].items():
        shown = documented.get(name, "")
        if "Default" not in spec:
            check(f"parameter {name}: (required), as the template has no default", shown == "(required)", shown)
            continue
        default = str(spec["Default"])
        check(f"parameter {name}: default {default!r} as in the template",
              shown.strip("`") == default or (default == "" and shown == '`""`')
              or shown.strip("`") == f'"{default}"', shown)


# --- 2. Receives before a dead-letter queue ----------------------------------------------------

def max_receive_counts() -> None:
    """Every 'after N receives' of the pages is the template's maxReceiveCount: the inbound queues'
    (infra/template.yaml), or, in a sentence about a subscriber, the subscriber queue's
    (infra/subscriber.yaml)."""
    queues = resources(TEMPLATE, "AWS::SQS::Queue")
    inbound = {queues[q]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
               for q in ("RegistrationsQueue", "CvCompletionsQueue", "JobExitsQueue")}
    check("the three inbound queues share one maxReceiveCount", len(inbound) == 1, str(inbound))
    subscriber = {r["Properties"]["RedrivePolicy"]["maxReceiveCount"]
                  for r in resources(SUBSCRIBER, "AWS::SQS::Queue").values() if "RedrivePolicy" in r["Properties"]}
    example = {r["Properties"]["RedrivePolicy"]["maxReceiveCount"] for r in queues.values()
               if "RedrivePolicy" in r["Properties"] and r.get("Condition") == "HasExampleSubscriber"}
    check("a subscriber queue, and the example one, share one maxReceiveCount",
          len(subscriber) == 1 and example <= subscriber, f"{subscriber} {example}")
    inbound, subscriber = int(next(iter(inbound))), int(next(iter(subscriber)))
    pattern = re.compile(r"(?:after |`maxReceiveCount` )(\d+)(?: failed)?(?: receives)?|(\d+) receives without"
                         r"|receives (\d+) times")
    found = 0
    for path in PAGES:
        text = re.sub(r"\s+", " ", page(path))
        for sentence in re.split(r"(?<=[.;:])\s", text):
            for match in pattern.finditer(sentence):
                if "receive" not in match.group(0) and "maxReceiveCount" not in match.group(0):
                    continue
                found += 1
                count = int(match.group(1) or match.group(2) or match.group(3))
                # The worked receiver and the jobcenter's page are about a subscriber queue throughout.
                about_subscriber = ("subscriber" in sentence.lower()
                                    or path in ("examples/receiver.py", "docs/jobcenter.md"))
                expected = subscriber if about_subscriber else inbound
                check(f"{path}: '{match.group(0).strip()}' is {expected} "
                      f"({'subscriber' if about_subscriber else 'inbound'} queues' maxReceiveCount)",
                      count == expected, sentence[:160])
    check("the pages state receive counts at all (the pattern still finds them)", found >= 5, str(found))


# --- 3. Alarms ---------------------------------------------------------------------------------

def alarm_names() -> tuple[set[str], set[str], set[str]]:
    """The alarms of the main stack (always, and with the example subscriber), and of a subscriber
    stack, named as operations.md names them: without the prefix, `<code>`, `<stack>-<kind>-<code>`."""
    always, example = set(), set()
    for alarm in resources(TEMPLATE, "AWS::CloudWatch::Alarm").values():
        name = sub_text(alarm["Properties"]["AlarmName"]).replace("${NamePrefix}", "")
        name = name.replace("${ExampleSubscriberMunicipality}", "<code>")
        (example if alarm.get("Condition") else always).add(name)
    subscriber = {sub_text(a["Properties"]["AlarmName"]).replace("${MainStackName}-${Kind}-${Code}", "<stack>-<kind>-<code>")
                  for a in resources(SUBSCRIBER, "AWS::CloudWatch::Alarm").values()}
    return always, example, subscriber


def alarms() -> None:
    always, example, subscriber = alarm_names()
    operations = page("docs/operations.md")
    listed = {row[0].strip("`"): row for row in table_rows(section(operations, "Every alarm")) if row[0].startswith("`")}
    everything = always | example | subscriber
    check("operations.md, Every alarm: exactly the alarms of infra/template.yaml and infra/subscriber.yaml",
          set(listed) == everything,
          f"missing {sorted(everything - set(listed))}, extra {sorted(set(listed) - everything)}")
    for name, row in listed.items():
        stack = row[1] if len(row) > 1 else ""
        expected = "subscriber" if name in subscriber else "example" if name in example else "main"
        check(f"alarm {name}: listed in the {expected} stack's", expected in stack.lower(), stack)
    text = re.sub(r"\s+", " ", operations)
    counts = re.findall(r"the main stack's (\d+) alarms", text)
    check(f"operations.md counts the main stack's alarms as {len(always)}",
          counts and all(int(c) == len(always) for c in counts), str(counts))
    per = re.findall(r"(\d+) more (?:for|per) (?:each )?subscriber", text)
    check(f"operations.md counts a subscriber's alarms as {len(subscriber)}",
          per and all(int(c) == len(subscriber) for c in per), str(per))
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
    sweep = re.findall(r"the (\w+) alarms of the sweep", text)
    summons = {a for a in always if a.startswith("summons-")}
    check(f"operations.md counts the sweep's alarms as {len(summons)}",
          sweep and all(words.get(w, -1) == len(summons) for w in sweep), str(sweep))
    for path in PAGES:
        others = [m for m in re.findall(r"\b(\d+) alarms\b", re.sub(r"\s+", " ", page(path)))]
        allowed = {str(len(always))}
        check(f"{path}: any other count of alarms is the main stack's", set(others) <= allowed, str(others))


# --- 4. Queues: retention, encryption, what a subscriber may do ----------------------------------

def queue_facts() -> None:
    queues = resources(TEMPLATE, "AWS::SQS::Queue")
    inbound = queues["RegistrationsQueue"]["Properties"]
    dlq = queues["RegistrationsDlq"]["Properties"]
    sub_queue = SUBSCRIBER["Resources"]["UpdatesQueue"]["Properties"]
    check("the template: inbound queues SSE-SQS", inbound.get("SqsManagedSseEnabled") is True)
    check("subscriber.yaml: the subscriber queue uses the stack's KMS key",
          sub_queue.get("KmsMasterKeyId") == {"Fn::ImportValue": {"Fn::Sub": "${MainStackName}-DataKeyArn"}},
          str(sub_queue.get("KmsMasterKeyId")))
    days = {"inbound": int(inbound["MessageRetentionPeriod"]) // DAY, "dlq": int(dlq["MessageRetentionPeriod"]) // DAY,
            "subscriber": int(sub_queue["MessageRetentionPeriod"]) // DAY}
    rows = {row[0]: row for row in table_rows(section(page("docs/security.md"), "What flows where"))}

    def row(start: str) -> list[str]:
        return next((r for k, r in rows.items() if k.startswith(start)), ["", "", "", ""])

    check(f"security.md: inbound queues SSE-SQS, kept at most {days['inbound']} days",
          "SSE-SQS" in row("inbound queues")[2] and f"at most {days['inbound']} days" in row("inbound queues")[3],
          str(row("inbound queues")))
    check(f"security.md: dead-letter queues under DataKey, {days['dlq']} days",
          "`DataKey`" in row("their dead-letter queues")[2] and row("their dead-letter queues")[3] == f"{days['dlq']} days",
          str(row("their dead-letter queues")))
    check(f"security.md: subscriber queues under DataKey, {days['subscriber']} days",
          "`DataKey`" in row("subscriber queues")[2] and row("subscriber queues")[3].startswith(f"{days['subscriber']} days"),
          str(row("subscriber queues")))
    retention = re.sub(r"\s+", " ", page("docs/security.md"))
    check("security.md, Retention: the queues' days as built",
          f"Inbound queues {days['inbound']} days, dead-letter queues {days['dlq']} days, subscriber queues "
          f"{days['subscriber']} days" in retention)
    deployed = re.sub(r"\s+", " ", section(page("docs/operations.md"), "What gets deployed"))
    check(f"operations.md, What gets deployed: inbound {days['inbound']} days SSE-SQS, DLQ {days['dlq']} days",
          f"{days['inbound']} days retention, SSE-SQS" in deployed and f"`<queue>-dlq` ({days['dlq']} days" in deployed)

    statement = next(s for s in SUBSCRIBER["Resources"]["UpdatesQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
                     if s.get("Principal") == {"AWS": {"Ref": "ConsumerPrincipalArn"}})
    allowed = set(statement["Action"])
    for path, heading in (("docs/operations.md", "Onboarding a subscriber"), ("docs/jobcenter.md", None),
                          ("docs/security.md", "Who can read what")):
        text = page(path) if heading is None else section(page(path), heading)
        named = set(re.findall(r"\bsqs:[A-Z][A-Za-z]+", text)) - {"sqs:SendMessage"}
        check(f"{path}: the subscriber's consumer may do exactly what subscriber.yaml allows",
              named == allowed, f"missing {sorted(allowed - named)}, extra {sorted(named - allowed)}")
    policies = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", page("docs/jobcenter.md"), re.S)
                if '"Statement"' in b]
    actions = {a for p in policies for s in p["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    check("jobcenter.md: its IAM policy example allows the consumer's actions and kms:Decrypt",
          actions == allowed | {"kms:Decrypt"}, str(sorted(actions)))
    jobcenter = re.sub(r"\s+", " ", page("docs/jobcenter.md"))
    check(f"jobcenter.md: the queue keeps a message {days['subscriber']} days",
          f"keeps a message {days['subscriber']} days" in jobcenter)
    visibility = int(sub_queue.get("VisibilityTimeout", 30))  # SQS's default
    check(f"jobcenter.md: the visibility timeout is {visibility} s", f"visibility timeout ({visibility} s)" in jobcenter)

    senders = [s for r in resources(TEMPLATE, "AWS::SQS::QueuePolicy").values()
               for s in r["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "AkasseSystemsSend"]
    granted = {a for s in senders for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", page("docs/akasse.md"), re.S) if '"Statement"' in b]
    asked = {a for p in examples for s in p["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    check("akasse.md: its IAM policy example asks for what the inbound queues' policy grants an a-kasse",
          bool(granted) and asked == granted, f"{sorted(asked)} != {sorted(granted)}")


def outputs_named() -> None:
    """Every `...Url`, `...Arn` or `...Name` a page names is an output or a parameter of a template."""
    known = set(TEMPLATE["Outputs"]) | set(TEMPLATE["Parameters"]) | set(SUBSCRIBER["Outputs"]) | set(SUBSCRIBER["Parameters"])
    for path in PAGES:
        named = set(re.findall(r"`([A-Z][A-Za-z]+(?:Url|Arn|Arns|Name))`", page(path)))
        check(f"{path}: every output or parameter it names exists", named <= known, str(sorted(named - known)))
    for path, names in (("docs/akasse.md", [f"{q}QueueUrl" for q in ("Registrations", "CvCompletions", "JobExits")]
                         + [f"{q}QueueArn" for q in ("Registrations", "CvCompletions", "JobExits")]),
                        ("docs/jobcenter.md", ["UpdatesQueueUrl", "UpdatesQueueArn", "DataKeyArn"])):
        text = page(path)
        check(f"{path} names the outputs its reader is handed", all(f"`{n}`" in text for n in names),
              str([n for n in names if f"`{n}`" not in text]))
        outputs = TEMPLATE["Outputs"] if path == "docs/akasse.md" else SUBSCRIBER["Outputs"]
        check(f"{path}: the outputs it names are its stack's", all(n in outputs for n in names))


# --- 5. Names per environment --------------------------------------------------------------------

def queue_names() -> None:
    """contract.md, Names: the contract's names, prefixed per environment as the template and
    samconfig.toml (NamePrefix, stack name) and the local deployer name them."""
    import deploy_local

    config = tomllib.loads(page("samconfig.toml"))
    rows = {row[0]: row for row in table_rows(section(page("docs/contract.md"), "Names"))}
    queues = resources(TEMPLATE, "AWS::SQS::Queue")
    topic = next(iter(resources(TEMPLATE, "AWS::SNS::Topic").values()))["Properties"]["TopicName"]
    names = {"queue": sub_text(queues["RegistrationsQueue"]["Properties"]["QueueName"]),
             "dlq": sub_text(queues["RegistrationsDlq"]["Properties"]["QueueName"]),
             "topic": sub_text(topic),
             "subscriber": sub_text(SUBSCRIBER["Resources"]["UpdatesQueue"]["Properties"]["QueueName"])}
    environments = {"local": (deploy_local.PARAMETERS["NamePrefix"], deploy_local.STACK)}
    for env in deploy.ENVIRONMENTS:
        parameters = config[env]["deploy"]["parameters"]
        overrides = dict(o.split("=", 1) for o in parameters["parameter_overrides"])
        environments[env] = (overrides.get("NamePrefix", ""), parameters["stack_name"])
    for env, (prefix, stack) in environments.items():
        def name(kind: str) -> str:
            return (names[kind].replace("${NamePrefix}", prefix).replace("${MainStackName}", stack)
                    .replace("${Kind}", "jobcenter").replace("${Code}", "851"))
        wanted = [f"`{name(k)}`" for k in ("queue", "dlq", "topic", "subscriber")]
        check(f"contract.md, Names: {env}'s names as deployed", rows.get(env, [])[1:] == wanted,
              f"{rows.get(env)} != {wanted}")


# --- 6. The command line's banner ----------------------------------------------------------------

def banner() -> None:
    """operations.md quotes what send, redrive and sweep print before they act: the trycmd case's."""
    stderr = (ROOT / "cli" / "tests" / "cmd" / "aws-target.stderr").read_text().splitlines()[0]
    shown = stderr.split(" at ", 1)[1]
    pattern = re.escape(shown).replace(re.escape("[..]"), r"[0-9]+")
    quoted = re.findall(r"`\.\.\. at ([^`]+)`", re.sub(r"\s+", " ", page("docs/operations.md")))
    check("operations.md quotes the banner the trycmd case expects (endpoint, region, account)",
          quoted and all(re.fullmatch(pattern, q) for q in quoted), f"{quoted} against {shown}")
    for command in ("send", "redrive", "sweep"):
        source = ROOT / "cli" / "src" / f"{command}.rs"
        check(f"`samspil {command}` connects through the target (which prints the banner) before acting",
              source.exists() and ".connect(" in source.read_text(), str(source))


# --- 7. The policy file and the build ------------------------------------------------------------

def build_script() -> Path | None:
    """The library's compiled build script (shared/build.rs), the newest one cargo built."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    candidates = [p for p in target.glob("debug/build/samspil-*/build-script-build")
                  if re.fullmatch(r"samspil-[0-9a-f]{16}", p.parent.name)]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def policy_file_fails_the_build() -> None:
    """An invalid infra/policies.toml stops the build: the build script run on a copy with one
    mistake fails naming the line, and on the repository's file succeeds."""
    script = build_script()
    check("shared/build.rs has been compiled (make test-docs builds it first)", script is not None)
    if script is None:
        return
    good = page("infra/policies.toml")
    broken = re.sub(r'^default_policy = ".*"$', 'default_policy = "no-such-policy"', good, count=1, flags=re.M)
    check("the broken copy differs from the file (its default_policy names no policy)", broken != good)
    for name, text, ok in (("the repository's policy file", good, True), ("an unknown default_policy", broken, False)):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "infra").mkdir()
            (Path(tmp) / "shared").mkdir()
            (Path(tmp) / "infra" / "policies.toml").write_text(text)
            run = subprocess.run([str(script)], env={**os.environ, "CARGO_MANIFEST_DIR": str(Path(tmp) / "shared")},
                                 capture_output=True, text=True, timeout=60)
        if ok:
            check(f"the build passes with {name}", run.returncode == 0, run.stdout + run.stderr)
        else:
            check(f"the build fails with {name}, naming the file and line",
                  run.returncode != 0 and re.search(r"^cargo::error=.*infra/policies\.toml:6: default_policy", run.stdout, re.M)
                  is not None, run.stdout + run.stderr)
    configure = re.sub(r"\s+", " ", section(page("docs/operations.md"), "Municipalities and policies"))
    check("operations.md says an invalid policy file fails the build, through shared/build.rs",
          "fails the build" in configure and "`shared/build.rs`" in configure)


# --- 8. The Makefile ------------------------------------------------------------------------------

def recipe(target: str) -> str:
    text = page("Makefile")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.M)
    return match.group(1) if match else ""


def makefile() -> None:
    """make deploy builds with the same tools on PATH as make package."""
    package, deploy_ = recipe("package"), recipe("deploy")
    check("make package puts the cross-build tools on PATH", "$(CROSS_BUILD)" in package, package)
    check("make deploy puts them on PATH the same way", "$(CROSS_BUILD)" in deploy_, deploy_)
    check("CROSS_BUILD is .venv/bin first on PATH", re.search(r'^CROSS_BUILD := PATH="\$\(CURDIR\)/\.venv/bin:\$\$PATH"$',
                                                             page("Makefile"), re.M) is not None)
    check("both add the arm64 target first", all("rustup target add aarch64-unknown-linux-gnu" in r for r in (package, deploy_)))


def figures() -> None:
    """README, Figures: one table, each row a figure and the command that measures it."""
    rows = table_rows(section(page("README.md"), "Figures"))
    check("README, Figures: a table of what, figure, command", rows and rows[0] == ["what", "figure", "measured by"],
          str(rows[:1]))
    targets = set(re.findall(r"^([a-z][a-z-]*):", page("Makefile"), re.M))
    for row in rows[1:]:
        command = row[2] if len(row) == 3 else ""
        makes = re.findall(r"`make ([a-z-]+)", command)
        check(f"README figure '{row[0][:50]}': measured by a command that exists",
              len(row) == 3 and bool(command) and all(m in targets for m in makes)
              and (makes or re.search(r"`(cargo|samspil) ", command)), command)
    text = section(page("README.md"), "Figures")
    for word in ("again", "earlier", "before the", "issue", "measured on 20"):
        check(f"README, Figures: no diary ('{word}')", re.search(rf"\b{word}\b", text.lower()) is None)


def main() -> None:
    deploy_variables()
    parameters_table()
    max_receive_counts()
    alarms()
    queue_facts()
    outputs_named()
    queue_names()
    banner()
    policy_file_fails_the_build()
    makefile()
    figures()
    print(f"doc facts: {passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
