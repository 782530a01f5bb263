#!/usr/bin/env bash
# make fuzz: runs the cargo-fuzz target `pipeline` (fuzz/fuzz_targets/pipeline.rs) for
# FUZZ_SECONDS (default 120), seeded from the hostile corpus (tests/hostile/) and examples/, and
# prints the executions and crashes.
#
# cargo-fuzz is installed into .tools/cargo-fuzz on first use (cargo install, pinned below).
# libFuzzer needs unstable compiler flags; the repository's toolchain is stable, so the build runs
# with RUSTC_BOOTSTRAP=1, here only. No sanitizer (`-s none`): the code under test is safe Rust,
# so AddressSanitizer would find nothing a panic does not, at a third of the speed.
# The working corpus and any crash inputs stay under target/fuzz/ (not in the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-120}
version=0.13.2
tools=.tools/cargo-fuzz
if ! "$tools/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$version"; then
    echo "installing cargo-fuzz $version into $tools"
    cargo install --quiet --locked --root "$tools" --version "$version" cargo-fuzz
fi

work=target/fuzz
corpus=$work/corpus/pipeline
artifacts=$work/artifacts/pipeline
mkdir -p "$corpus" "$artifacts"
# Seeds: one byte choosing the queue (0 registrations, 1 cv-completions, 2 job-exits), then the body.
i=0
for queue_dir in tests/hostile/*/; do
    queue=$(basename "$queue_dir")
    case $queue in registrations) q=0 ;; cv-completions) q=1 ;; job-exits) q=2 ;; *) continue ;; esac
    for file in "$queue_dir"*.json "$queue_dir"*.bin; do
        [[ -e "$file" ]] || continue
        { printf "\\x0$q"; cat "$file"; } > "$corpus/hostile-$queue-$(basename "$file")"
    done
done
.venv/bin/python - "$corpus" <<'PY'
import json, sys
queues = {"registrations": 0, "cv-completions": 1, "job-exits": 2}
for n, line in enumerate(open("examples/messages.jsonl")):
    m = json.loads(line)
    body = m["body"] if isinstance(m["body"], str) else json.dumps(m["body"])
    open(f"{sys.argv[1]}/example-{n:03}", "wb").write(bytes([queues[m["queue"]]]) + body.encode())
PY

export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$PWD/$work/build
log=$work/pipeline.log
touch "$log.start"
status=0
"$tools/bin/cargo-fuzz" run --fuzz-dir fuzz -s none --release pipeline "$corpus" -- -dict=fuzz/pipeline.dict \
    -max_total_time="$seconds" -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^Done|^stat::number_of_executed_units|panicked|^SUMMARY" "$log" || true
runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
crashes=$(find "$artifacts" -type f -newer "$log.start" | wc -l)
echo "fuzz pipeline: ${runs:-?} executions in ${seconds}s, $crashes crash input(s) in $artifacts/ (log: $log)"
[[ "$status" -eq 0 && "$crashes" -eq 0 ]]
