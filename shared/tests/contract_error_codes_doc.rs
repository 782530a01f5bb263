//! `docs/error-codes.md` documents exactly the codes in [`ErrorCode::ALL`], in the same order.
//!
//! Operators and senders read that table to find out what a dead-lettered message's `error_code`
//! means; a code added in Rust without a row, or a row left behind after a rename, would leave them
//! guessing.

use std::path::Path;

use samspil::contract::ErrorCode;

/// The first-column codes of the table's rows, in order.
fn documented_codes() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/error-codes.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .map(|rest| rest.split('`').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn every_code_has_a_row() {
    let documented = documented_codes();
    for code in ErrorCode::ALL {
        assert!(documented.iter().any(|c| c == code.as_str()), "docs/error-codes.md has no row for `{code}`");
    }
}

#[test]
fn every_row_is_a_code() {
    let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for code in documented_codes() {
        assert!(
            known.contains(&code.as_str()),
            "docs/error-codes.md documents `{code}`, which is not in ErrorCode::ALL"
        );
    }
}

#[test]
fn rows_follow_the_order_of_all_without_duplicates() {
    let known: Vec<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(documented_codes(), known);
}
