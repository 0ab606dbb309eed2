//! Lambda function `lingong-matcher`, on the table's stream: runs waves of offers as
//! jobs are published or reopened, offers are declined or expire, and workers sign up
//! (see `lingong_core::matching::consumer`). `main` only wires.

use std::sync::Arc;

use lingong_core::matching::consumer::Matcher;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = lingong_aws_wiring::app().await?;
    lingong_aws_wiring::stream::run(Arc::new(Matcher { app })).await
}
