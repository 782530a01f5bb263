# samspil: the two commands a newcomer needs are `make run` and `make test`; `make help` lists the rest.
# Every target is a few lines; the scripts it calls live in scripts/. A target's `## name: text`
# comment is what `make help` prints.

CARGO ?= cargo
.DEFAULT_GOAL := help

.PHONY: help run test soak fuzz install contracts asyncapi-check bench bench-requests item-size simulate startup lock

## help: list the targets with what they do.
help:
	@awk '/^## [a-z][a-z-]*: / { sub(/^## /, ""); split($$0, p, ": "); printf "  %-18s %s\n", p[1], substr($$0, length(p[1]) + 3) }' $(MAKEFILE_LIST)

## run: the pipeline on this machine, end to end, until Ctrl-C (emulator, stack, examples).
## It starts the moto emulator, deploys the stack from infra/template.yaml and a jobcenter
## subscriber from infra/subscriber.yaml into it, starts `samspil local` (the functions' code
## polling the queues the way Lambda's event source mapping does), sends examples/ to the queues,
## and prints each meeting update as it arrives.
run: .venv/.installed
	scripts/with-moto.sh scripts/run-local.sh

## test: every test there is, against the AWS emulator (moto) where a test needs AWS.
test: .venv/.installed asyncapi-check template-check test-deploy-config test-deploy-local test-receiver test-docs
	scripts/with-moto.sh $(CARGO) test --workspace --quiet

## soak: 5,000 messages through four runners, calls failing, runners killed; nothing may be lost.
soak: .venv/.installed
	$(CARGO) build --quiet -p samspil-cli -p samspil-e2e --bins
	scripts/with-moto.sh $${CARGO_TARGET_DIR:-target}/debug/soak --messages 5000

## install: put the `samspil` command on the PATH (cargo install into ~/.cargo/bin).
install:
	$(CARGO) install --locked --path cli

# The project-local Python tools: tools/requirements.txt, locked with hashes (`make lock`).
.venv/.installed: tools/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/requirements.txt
	touch $@

## lock: re-resolve tools/*.in into the hashed lock files tools/*.txt (pip-tools).
lock:
	python3 -m venv .tools/pip-tools
	.tools/pip-tools/bin/pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	cd tools && for f in requirements checkov-requirements; do \
	    ../.tools/pip-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	        --no-header --no-emit-find-links --output-file $$f.txt $$f.in; done

## contracts: regenerate contracts/ from the Rust types (a test fails when they drift).
contracts:
	$(CARGO) run --quiet -p samspil-cli -- contracts --out contracts

## asyncapi-check: the official AsyncAPI parser reads contracts/asyncapi.json; any error fails.
asyncapi-check: tools/asyncapi/node_modules/.installed
	node scripts/check-asyncapi.mjs contracts/asyncapi.json

# The AsyncAPI parser (@asyncapi/parser): tools/asyncapi/package-lock.json pins it and every
# dependency with its integrity hash; `npm ci` installs exactly that, running no install scripts.
# To move to another version: cd tools/asyncapi && npm install @asyncapi/parser@<version>.
tools/asyncapi/node_modules/.installed: tools/asyncapi/package.json tools/asyncapi/package-lock.json
	cd tools/asyncapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## bench: the benchmarks, printing figures.
bench:
	$(CARGO) bench --workspace

## bench-requests: AWS requests per message against the emulator, as a table (fails over budget).
bench-requests: .venv/.installed
	scripts/with-moto.sh $(CARGO) test --quiet -p samspil-e2e --test stack requests -- --nocapture

## item-size: DynamoDB item sizes and write units per message, JSON state against the compact one.
item-size:
	$(CARGO) test --quiet -p samspil-e2e --test item_size -- --nocapture

## fuzz: fuzz parsing, validation and decide for FUZZ_SECONDS (default 120); prints executions, crashes.
## The cargo-fuzz target is seeded from tests/hostile/ and examples/ (scripts/fuzz.sh).
fuzz: .venv/.installed
	scripts/fuzz.sh

## startup: build the Lambda binaries for release and measure one's cold start (first poll, first invocation, RSS).
startup:
	$(CARGO) build --quiet --release -p registration -p cv-completed -p job-exit -p summons -p startup-bench
	bin=$${CARGO_TARGET_DIR:-target}/release; $$bin/startup-bench $$bin/registration 20

## simulate: baseline, rebild-trial and rebild-jit on a seeded synthetic cohort, chart in target/simulation.svg.
simulate:
	$(CARGO) run --quiet --release -p samspil-cli -- simulate --chart target/simulation.svg

.PHONY: template-check test-deploy-config test-deploy-local test-receiver test-docs deploy-local package deploy subscriber

## template-check: cfn-lint and the checkov security scan of infra/template.yaml and infra/subscriber.yaml.
template-check: .venv/.installed
	scripts/check-template.sh

## test-deploy-config: scripts/deploy.py and samconfig.toml, dry runs (no AWS).
test-deploy-config: .venv/.installed
	.venv/bin/python scripts/test_deploy_config.py

## test-deploy-local: deploy the stack and two subscribers into the emulator and check them.
test-deploy-local: .venv/.installed
	scripts/with-moto.sh .venv/bin/python scripts/test_deploy_local.py

## test-receiver: examples/receiver.py on the local stack: newer updates applied, older and duplicates ignored.
# The samspil program comes from the test build (cargo test --no-run), which `make test` needs
# anyway: `cargo build -p samspil-cli` resolves features apart and would build the AWS SDK again.
test-receiver: .venv/.installed
	$(CARGO) test --workspace --no-run --quiet
	scripts/with-moto.sh .venv/bin/python scripts/test_receiver.py $${CARGO_TARGET_DIR:-target}/debug/samspil

## test-docs: the facts the pages state, checked against the templates, the deployer, the Makefile and the build.
# scripts/test_docs.py runs the library's compiled build script on a broken policy file: it needs the
# test build that `make test` makes anyway (docs/doc-facts.md lists what it checks).
test-docs: .venv/.installed
	$(CARGO) test --workspace --no-run --quiet
	.venv/bin/python scripts/test_docs.py

## deploy-local: start the emulator, deploy the stack and SUBSCRIBERS (default jobcenter:851).
deploy-local: .venv/.installed
	scripts/moto.sh start
	scripts/with-moto.sh .venv/bin/python scripts/deploy_local.py $(foreach s,$(SUBSCRIBERS),--subscriber $(s))

# The cross-build tools, cargo-lambda and Zig, come from .venv: `make package` and the `sam build`
# of `make deploy` find them first on PATH, and both add the arm64 standard library first.
CROSS_BUILD := PATH="$(CURDIR)/.venv/bin:$$PATH"

## package: the four arm64 Lambda zips (cargo-lambda and zig from .venv), with their sizes.
package: .venv/.installed
	rustup target add aarch64-unknown-linux-gnu
	$(CROSS_BUILD) $(CARGO) lambda build --release --arm64 --output-format zip -p registration -p cv-completed -p job-exit -p summons
	ls -l $${CARGO_TARGET_DIR:-target}/lambda/*/bootstrap.zip

## deploy: deploy the stack to AWS: make deploy ENV=staging|prod (needs `sam`, credentials, SAMSPIL_*).
deploy: .venv/.installed
	rustup target add aarch64-unknown-linux-gnu
	$(CROSS_BUILD) .venv/bin/python scripts/deploy.py stack $(ENV)

## subscriber: onboard one: make subscriber ENV=prod KIND=jobcenter|akasse CODE=851 CONSUMER=<role ARN>.
subscriber: .venv/.installed
	.venv/bin/python scripts/deploy.py subscriber $(ENV) $(KIND) $(CODE) $(CONSUMER)
