//! The command line's contract, as trycmd cases in `cli/tests/cmd/`: the help with its exit
//! statuses, `replay` in text and JSON and without `--today`, every exit status, bad
//! configuration and the refusal to act on an AWS account without `--yes`, and the account the
//! AWS-facing commands name before they act.
//!
//! `*.md` files hold console blocks (`$ command`, then stdout and stderr together; `? N` expects
//! exit status N, `...` any lines, `[..]` the rest of a line); `*.toml` cases name their own
//! environment, with `.stdout` and `.stderr` files beside them. Commands run from the repository's
//! root with the environment below; `aws-target.toml` talks to the emulator `make test` starts
//! (`AWS_ENDPOINT_URL`), and fails without it: no case ever reaches AWS (an endpoint that is not
//! local is refused before any call, there being no terminal to confirm on).
//!
//! After changing a command's output: `TRYCMD=overwrite cargo test -p samspil-cli --test cmd`
//! rewrites the `.toml` cases' files; copy what it prints into the `.md` ones.

use std::path::Path;

#[test]
fn the_command_line_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The cases are written as run from the repository's root; this test binary runs alone.
    std::env::set_current_dir(&root).expect("the repository root");
    trycmd::TestCases::new()
        .register_bin("samspil", Path::new(env!("CARGO_BIN_EXE_samspil")))
        .env("RUST_LOG", "")
        .env("NO_COLOR", "1")
        .env("AWS_REGION", "eu-north-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .case("cli/tests/cmd/*.md")
        .case("cli/tests/cmd/*.toml");
}
