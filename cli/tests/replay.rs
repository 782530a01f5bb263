//! `samspil replay` on `examples/corrections.jsonl`: what a-kasser correct, through the parser and
//! the embedded pipeline, as `docs/rules.md` works it by hand. Synthetic CPR numbers only.

use std::process::Command;

fn replay(file: &str) -> (String, String) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = Command::new(env!("CARGO_BIN_EXE_samspil"))
        .current_dir(root)
        .args(["replay", file, "--today", "2026-11-02"])
        .output()
        .expect("samspil runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The updates without the meeting ids, which depend on the embedded secret.
fn lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let (head, rest) = l.split_once(" meeting ").expect("a meeting line");
            let (_, tail) = rest.split_once(' ').expect("an id");
            format!("{head} {tail}")
        })
        .collect()
}

#[test]
fn corrections_replay_as_worked_by_hand() {
    let (stdout, stderr) = replay("examples/corrections.jsonl");
    let want = [
        // Gitte, Hans and Ida register on 2 Nov: week 5 starts 30 Nov.
        "2026-11-30 scheduled    #1  municipality 851  a-kasse 067  in_person  deadline 2026-12-13",
        "2026-11-30 scheduled    #1  municipality 851  a-kasse 067  in_person  deadline 2026-12-13",
        "2026-11-30 scheduled    #1  municipality 851  a-kasse 067  in_person  deadline 2026-12-13",
        // Hans: a registration for the same day sent later, for Rebild (R8): Aalborg is told first.
        "2026-11-30 cancelled    #2  municipality 851  a-kasse 067  in_person  deadline 2026-12-13  reason transferred",
        "2026-12-28 scheduled    #3  municipality 840  a-kasse 067  in_person  deadline 2027-01-10  reason corrected",
        // Gitte: cancelled for a job starting 4 Jan, then the job falls through (R13).
        "2026-11-30 cancelled    #2  municipality 851  a-kasse 067  in_person  deadline 2026-12-13  reason job_exit",
        "2026-11-30 scheduled    #3  municipality 851  a-kasse 067  in_person  deadline 2026-12-13  reason job_exit_withdrawn",
        // Jens: processed late; the CV moves the meeting past the deadline and into the job's horizon (R9).
        "2026-12-08 scheduled    #1  municipality 851  a-kasse 067  in_person  deadline 2026-12-13",
        "2026-12-14 cancelled    #2  municipality 851  a-kasse 067  in_person  deadline 2026-12-13  reason job_exit  DEADLINE MISSED",
    ];
    assert_eq!(lines(&stdout), want);
    // Ida's withdrawal came first and voided her job exit: two messages, no change.
    assert!(stderr.contains("11 messages") && stderr.contains("no change 3"), "{stderr}");
    for cpr in ["0606606666", "0707707777", "0808808888", "0909909999"] {
        assert!(!stdout.contains(cpr) && !stderr.contains(cpr), "a CPR number in the output");
    }
}
