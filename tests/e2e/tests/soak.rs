//! A small soak for `make test`: a few hundred messages through four `samspil local` runners with
//! one call in five failing and a runner killed every two seconds, some of them corrections that
//! transfer a meeting to another municipality (R8); nothing may be lost or changed.
//! `make soak` runs the full size.

use std::time::Duration;

use samspil_e2e::soak::runners::samspil_binary;
use samspil_e2e::soak::{SoakConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_changed_when_calls_fail_and_runners_die() {
    let config = SoakConfig {
        samspil: samspil_binary(),
        messages: 600,
        duplicate_share: 0.25,
        runners: 4,
        fault_rate: 0.2,
        kill_every: Duration::from_secs(2),
        fault_phase_limit: Duration::from_secs(240),
        drain_limit: Duration::from_secs(180),
    };
    let report = run(&config).await;
    println!("{report}");
    assert!(report.faults.total_faults() > 0 && report.kills > 0, "faults were injected and runners killed");
    assert!(report.transfers > 0, "corrections moved meetings to another municipality (rule R8)");
    assert!(report.passed(), "the soak found problems:\n{report}");
}
