//! The `cv-completed` Lambda function: batches from the `cv-completions` queue through the samspil pipeline.
//! Everything but the wiring lives in `samspil::lambda`.

use samspil::contract::FactKind;
use samspil::lambda::Error;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    samspil::telemetry::init();
    samspil::lambda::run(FactKind::CvCompleted).await
}
