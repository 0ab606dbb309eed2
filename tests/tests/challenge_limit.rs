//! `/api/challenge` is limited per address, through the real router on both stores: a
//! concurrent burst from one address gets exactly the limit's number of challenges,
//! the rest `429` in the API's JSON error shape; another address is not affected.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use lingong_core::limits::Limit;
use lingong_tests::{Backend, test_api};

lingong_tests::on_both_backends!(a_burst_of_challenges_from_one_address_gets_exactly_the_limit);

async fn a_burst_of_challenges_from_one_address_gets_exactly_the_limit(backend: Backend) {
    let api = Arc::new(test_api(backend).await);
    let limit = Limit::CHALLENGE_ADDRESS.max as usize;
    let burst = limit + 30;
    let calls = (0..burst).map(|_| {
        let api = api.clone();
        tokio::spawn(async move {
            api.get("/api/challenge", &[("x-forwarded-for", "203.0.113.7")])
                .await
        })
    });
    let answers: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|a| a.unwrap())
        .collect();
    let given = answers.iter().filter(|a| a.status == 200).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(given, limit);
    assert_eq!(refused.len(), burst - limit);
    for answer in &refused {
        assert_eq!(
            answer.json()["errors"][0]["field"],
            "_request",
            "{}",
            answer.body
        );
    }
    for answer in answers.iter().filter(|a| a.status == 200) {
        assert!(answer.json()["challenge"].is_string(), "{}", answer.body);
    }
    // Another address has its own quota.
    let other = api
        .get("/api/challenge", &[("x-forwarded-for", "198.51.100.9")])
        .await;
    assert_eq!(other.status, 200, "{}", other.body);
}
