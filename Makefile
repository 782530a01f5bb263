# samspil: the two commands a newcomer needs are `make run` and `make test`.
# Every target is a few lines; the scripts it calls live in scripts/.

CARGO ?= cargo

.PHONY: run test contracts bench bench-requests simulate startup fuzz

## run: the pipeline on this machine, end to end: the emulator, the stack deployed from
## infra/template.yaml, the functions' code polling the queues (samspil local), examples/ sent to
## the queues; each meeting update prints as it arrives, until Ctrl-C.
run: .venv/.installed
	scripts/with-moto.sh scripts/run-local.sh

## test: every test there is, against the AWS emulator (moto) where a test needs AWS.
test: .venv/.installed template-check test-deploy-local
	scripts/with-moto.sh $(CARGO) test --workspace --quiet

## .venv/.installed: the project-local Python tools, pinned in tools/requirements.txt.
.venv/.installed: tools/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

## contracts: regenerate contracts/ from the Rust types (a test fails when they drift).
contracts:
	$(CARGO) run --quiet -p samspil-cli -- contracts --out contracts

## bench: the benchmarks, printing figures.
bench:
	$(CARGO) bench --workspace

## bench-requests: AWS requests per message against the emulator, as a table (fails over budget).
bench-requests: .venv/.installed
	scripts/with-moto.sh $(CARGO) test --quiet -p samspil-e2e --test stack requests -- --nocapture

## fuzz: the cargo-fuzz target over parsing, validation and decide, for FUZZ_SECONDS (default 120),
## seeded from tests/hostile/ and examples/; prints executions and crashes (scripts/fuzz.sh).
fuzz: .venv/.installed
	scripts/fuzz.sh

## startup: build the Lambda binaries for release and measure one's cold start (first poll, RSS).
startup:
	$(CARGO) build --quiet --release -p registration -p cv-completed -p job-exit -p startup-bench
	bin=$${CARGO_TARGET_DIR:-target}/release; $$bin/startup-bench $$bin/registration 20

.PHONY: template-check test-deploy-local deploy-local package deploy

## template-check: cfn-lint and the checkov security scan of infra/template.yaml.
template-check: .venv/.installed
	scripts/check-template.sh

## test-deploy-local: deploy infra/template.yaml into the emulator (twice) and check the stack.
test-deploy-local: .venv/.installed
	scripts/with-moto.sh .venv/bin/python scripts/test_deploy_local.py

## deploy-local: start the emulator and deploy infra/template.yaml into it (target/local-stack.json).
deploy-local: .venv/.installed
	scripts/moto.sh start
	.venv/bin/python scripts/deploy_local.py

## package: the three arm64 Lambda zips (cargo-lambda and zig from .venv), with their sizes.
package: .venv/.installed
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/.venv/bin:$$PATH" $(CARGO) lambda build --release --arm64 --output-format zip -p registration -p cv-completed -p job-exit
	ls -l $${CARGO_TARGET_DIR:-target}/lambda/*/bootstrap.zip

## deploy: build with the SAM CLI and deploy to AWS (samconfig.toml; needs `sam` and AWS credentials).
deploy:
	sam build
	sam deploy

## simulate: baseline vs rebild-trial on a seeded synthetic cohort (docs/simulation.md); chart in target/simulation.svg.
simulate:
	$(CARGO) run --quiet --release -p samspil-cli -- simulate --chart target/simulation.svg
