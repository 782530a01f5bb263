#!/usr/bin/env bash
# Checks the CloudFormation templates (infra/template.yaml, the stack; infra/subscriber.yaml, one
# subscriber): cfn-lint (settings in .cfnlintrc) and the checkov security scan.
# Accepted checkov findings are skipped in the template itself, each with its reason
# (Metadata.checkov.skip); nothing is skipped on the command line.
#
# cfn-lint comes from the project venv (.venv, tools/requirements.txt). checkov pins dependencies
# that conflict with that venv, so it lives in its own, .tools/checkov, installed here from
# tools/checkov-requirements.txt when that file changes (about 45 s, once).
set -euo pipefail
cd "$(dirname "$0")/.."

templates=(infra/template.yaml infra/subscriber.yaml)

echo "cfn-lint $(.venv/bin/cfn-lint --version | awk '{print $2}'): ${templates[*]}"
.venv/bin/cfn-lint "${templates[@]}"

venv=.tools/checkov
if ! cmp -s tools/checkov-requirements.txt "$venv/requirements.txt"; then
    echo "installing checkov into $venv (tools/checkov-requirements.txt)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/checkov-requirements.txt
    cp tools/checkov-requirements.txt "$venv/requirements.txt"
fi

echo "checkov $("$venv/bin/checkov" --version): ${templates[*]}"
# --skip-download: no call to the vendor's platform (there is no network to it, and no need).
"$venv/bin/checkov" "${templates[@]/#/--file=}" --framework cloudformation --compact --quiet --skip-download
