//! The command examples of README.md and docs/, run and checked against the output written under
//! them, so the documentation cannot drift from the program.
//!
//! Every ```` ```console ```` block of the files below is a test (trycmd's format): `$ command` lines
//! run from the repository's root, the lines after them are the expected stdout and stderr
//! together, `...` stands for any lines and `[..]` for the rest of a line, and `? failed` expects a
//! non-zero exit. `samspil` is the binary cargo built for this test (no rebuild, no PATH needed);
//! `make` runs the repository's Makefile. Blocks marked ```` ```sh ```` are not run: they need AWS or
//! the emulator, or run for minutes.
//!
//! After changing a command's output: run this test, and copy what it prints as the actual output
//! into the document.

use std::path::Path;

/// The documents whose console blocks are tested.
const DOCUMENTS: [&str; 3] = ["README.md", "docs/operations.md", "docs/jobcenter.md"];

#[test]
fn the_readme_and_docs_command_examples_print_what_they_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The commands are written as run from the repository's root; this test binary runs alone.
    std::env::set_current_dir(&root).expect("the repository root");
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("samspil", Path::new(env!("CARGO_BIN_EXE_samspil")))
        .register_bin("make", which("make"))
        // `make` under `make test` would otherwise print "Entering directory" lines.
        .env("MAKEFLAGS", "")
        .env("MAKELEVEL", "")
        .env("RUST_LOG", "")
        .env("NO_COLOR", "1");
    for document in DOCUMENTS {
        cases.case(document);
    }
}

/// The path of a program on the PATH.
fn which(program: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(program)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{program} is not on the PATH"))
}
