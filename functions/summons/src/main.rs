//! The `summons` Lambda function (rule R12): started once a day by its schedule, it publishes every
//! summons due on or before the processing day. Everything but the wiring lives in
//! `samspil::lambda::summons`.

use samspil::lambda::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    samspil::telemetry::init();
    samspil::lambda::summons::run().await
}
