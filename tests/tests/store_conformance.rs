//! One conformance suite for both storage adapters: every case runs against DynamoDB
//! Local (a fresh table per test) and against the embedded redb store (a fresh
//! directory per test), and must behave the same on both.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeSet, sync::Arc};

use lingong_core::store::{
    Condition, Cursor, Index, Item, ItemStore, Key, Query, SortKeyRange, StoreError, Write,
    query_all,
};
use lingong_tests::{Backend, fresh_store};
use serde_json::{Map, Value, json};

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("body must be an object"),
    }
}

fn item(pk: &str, sk: &str, value: Value) -> Item {
    Item::new(Key::new(pk, sk), body(value))
}

lingong_tests::on_both_backends!(
    bodies_round_trip,
    create_refuses_to_overwrite,
    versions_guard_updates,
    a_failed_condition_writes_nothing,
    malformed_batches_are_refused,
    partition_queries_order_filter_and_page,
    index_entries_follow_the_item,
    index_pages_join_up_exactly,
    get_many_returns_what_exists,
    expiry_round_trips,
    optimistic_counter_under_concurrency,
);

async fn bodies_round_trip(backend: Backend) {
    let t = fresh_store(backend).await;
    let value = json!({
        "station": "xining-chengzhong",
        "title": "小区楼道保洁 🧹",
        "empty": "",
        "count": 3,
        "big": 9007199254740993u64,
        "negative": -42,
        "wage": 245.5,
        "flag": true,
        "nothing": null,
        "list": ["a", 1, false],
        "empty_list": [],
        "nested": {"a": {"b": [1, 2, {"c": "深"}]}},
    });
    let mut stored = item("P#1", "S", value.clone()).with_index(
        Index::Gsi1,
        "I#1",
        "2026-11-28T00:00:00.000Z#1",
    );
    stored.version = 7;
    t.store
        .write(vec![Write::put(stored.clone())])
        .await
        .unwrap();
    let back = t.store.get(&Key::new("P#1", "S")).await.unwrap().unwrap();
    assert_eq!(back, stored);
    assert_eq!(t.store.get(&Key::new("P#1", "other")).await.unwrap(), None);
}

async fn create_refuses_to_overwrite(backend: Backend) {
    let t = fresh_store(backend).await;
    let first = item("P#1", "S", json!({"n": 1}));
    t.store
        .write(vec![Write::create(first.clone())])
        .await
        .unwrap();
    let second = item("P#1", "S", json!({"n": 2}));
    let error = t
        .store
        .write(vec![Write::create(second)])
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::ConditionFailed { index: 0 }),
        "{error:?}"
    );
    assert_eq!(t.store.get(&first.key).await.unwrap().unwrap(), first);
}

async fn versions_guard_updates(backend: Backend) {
    let t = fresh_store(backend).await;
    let v1 = item("P#1", "S", json!({"n": 1}));
    t.store
        .write(vec![Write::create(v1.clone())])
        .await
        .unwrap();
    let mut v2 = item("P#1", "S", json!({"n": 2}));
    v2.version = 2;
    // Wrong expected version: refused.
    let error = t
        .store
        .write(vec![Write::replace(v2.clone(), 5)])
        .await
        .unwrap_err();
    assert!(error.is_condition_failed());
    // Right expected version: applied.
    t.store
        .write(vec![Write::replace(v2.clone(), 1)])
        .await
        .unwrap();
    assert_eq!(t.store.get(&v2.key).await.unwrap().unwrap(), v2);
    // Replacing a missing item is refused.
    let ghost = item("P#missing", "S", json!({}));
    assert!(
        t.store
            .write(vec![Write::replace(ghost, 1)])
            .await
            .unwrap_err()
            .is_condition_failed()
    );
    // Deleting with Exists on a missing item is refused; on a present one it works.
    let missing = Write::Delete {
        key: Key::new("P#missing", "S"),
        condition: Some(Condition::Exists),
    };
    assert!(
        t.store
            .write(vec![missing])
            .await
            .unwrap_err()
            .is_condition_failed()
    );
    let present = Write::Delete {
        key: v2.key.clone(),
        condition: Some(Condition::Version(2)),
    };
    t.store.write(vec![present]).await.unwrap();
    assert_eq!(t.store.get(&v2.key).await.unwrap(), None);
    // Deleting nothing without a condition is fine.
    t.store
        .write(vec![Write::delete(Key::new("P#none", "S"))])
        .await
        .unwrap();
}

async fn a_failed_condition_writes_nothing(backend: Backend) {
    let t = fresh_store(backend).await;
    let existing = item("P#taken", "S", json!({"n": 0}));
    t.store
        .write(vec![Write::create(existing.clone())])
        .await
        .unwrap();
    let batch = vec![
        Write::create(item("P#a", "S", json!({"n": 1})).with_index(Index::Gsi1, "I", "1")),
        Write::create(item("P#b", "S", json!({"n": 2}))),
        Write::create(item("P#taken", "S", json!({"n": 3}))),
        Write::Check {
            key: Key::new("P#b2", "S"),
            condition: Condition::Absent,
        },
    ];
    let error = t.store.write(batch).await.unwrap_err();
    assert!(
        matches!(error, StoreError::ConditionFailed { index: 2 }),
        "{error:?}"
    );
    assert_eq!(t.store.get(&Key::new("P#a", "S")).await.unwrap(), None);
    assert_eq!(t.store.get(&Key::new("P#b", "S")).await.unwrap(), None);
    assert_eq!(t.store.get(&existing.key).await.unwrap().unwrap(), existing);
    let index = t
        .store
        .query(&Query::index_newest_first(Index::Gsi1, "I", 10))
        .await
        .unwrap();
    assert!(index.items.is_empty());
    // A check that fails stops the batch too.
    let batch = vec![
        Write::create(item("P#c", "S", json!({}))),
        Write::Check {
            key: existing.key.clone(),
            condition: Condition::Absent,
        },
    ];
    assert!(matches!(
        t.store.write(batch).await.unwrap_err(),
        StoreError::ConditionFailed { index: 1 }
    ));
    assert_eq!(t.store.get(&Key::new("P#c", "S")).await.unwrap(), None);
}

async fn malformed_batches_are_refused(backend: Backend) {
    let t = fresh_store(backend).await;
    let too_many: Vec<Write> = (0..101)
        .map(|i| Write::put(item(&format!("P#{i}"), "S", json!({}))))
        .collect();
    assert!(matches!(
        t.store.write(too_many).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.store.write(Vec::new()).await,
        Err(StoreError::Invalid(_))
    ));
    let twice = vec![
        Write::put(item("P#1", "S", json!({}))),
        Write::delete(Key::new("P#1", "S")),
    ];
    assert!(matches!(
        t.store.write(twice).await,
        Err(StoreError::Invalid(_))
    ));
    let reserved = vec![Write::put(item("P#1", "S", json!({"pk": "sneaky"})))];
    assert!(matches!(
        t.store.write(reserved).await,
        Err(StoreError::Invalid(_))
    ));
    let huge = vec![Write::put(item(
        "P#1",
        "S",
        json!({"text": "字".repeat(200_000)}),
    ))];
    assert!(matches!(
        t.store.write(huge).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(t.store.get(&Key::new("P#1", "S")).await.unwrap(), None);
    // The largest batch allowed goes through whole.
    let hundred: Vec<Write> = (0..100)
        .map(|i| Write::create(item(&format!("P#{i:03}"), "S", json!({"i": i}))))
        .collect();
    t.store.write(hundred).await.unwrap();
    assert!(
        t.store
            .get(&Key::new("P#099", "S"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn partition_queries_order_filter_and_page(backend: Backend) {
    let t = fresh_store(backend).await;
    let mut writes = Vec::new();
    for sk in ["A#1", "A#2", "B#1", "B#2", "B#3", "C"] {
        writes.push(Write::put(item("P#1", sk, json!({"label": sk}))));
    }
    writes.push(Write::put(item("P#2", "A#0", json!({}))));
    writes.push(Write::put(item("P#10", "A#0", json!({}))));
    t.store.write(writes).await.unwrap();
    let sks = |items: &[Item]| items.iter().map(|i| i.key.sk.clone()).collect::<Vec<_>>();

    let all = t.store.query(&Query::partition("P#1", 100)).await.unwrap();
    assert_eq!(sks(&all.items), ["A#1", "A#2", "B#1", "B#2", "B#3", "C"]);
    assert_eq!(all.next, None);

    let desc = t
        .store
        .query(&Query {
            descending: true,
            ..Query::partition("P#1", 100)
        })
        .await
        .unwrap();
    assert_eq!(sks(&desc.items), ["C", "B#3", "B#2", "B#1", "A#2", "A#1"]);

    let prefix = t
        .store
        .query(&Query {
            range: SortKeyRange::BeginsWith("B#".into()),
            ..Query::partition("P#1", 100)
        })
        .await
        .unwrap();
    assert_eq!(sks(&prefix.items), ["B#1", "B#2", "B#3"]);

    let between = t
        .store
        .query(&Query {
            range: SortKeyRange::Between("A#2".into(), "B#2".into()),
            ..Query::partition("P#1", 100)
        })
        .await
        .unwrap();
    assert_eq!(sks(&between.items), ["A#2", "B#1", "B#2"]);

    // Pages of 2 join up exactly, and the last full page says there is no more.
    for descending in [false, true] {
        let mut query = Query {
            descending,
            ..Query::partition("P#1", 2)
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = t.store.query(&query).await.unwrap();
            pages += 1;
            seen.extend(sks(&page.items));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, 3, "six items in pages of two is three pages");
        let mut expected = vec!["A#1", "A#2", "B#1", "B#2", "B#3", "C"];
        if descending {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
    // A prefix query with a cursor stays within the prefix.
    let mut query = Query {
        range: SortKeyRange::BeginsWith("B#".into()),
        ..Query::partition("P#1", 1)
    };
    let first = t.store.query(&query).await.unwrap();
    query.after = first.next;
    let second = t.store.query(&query).await.unwrap();
    assert_eq!(sks(&second.items), ["B#2"]);
    // A cursor a client tampered with is refused, not followed.
    assert!(Cursor::parse("not-a-cursor").is_none());
}

async fn index_entries_follow_the_item(backend: Backend) {
    let t = fresh_store(backend).await;
    let job = item("J#1", "JOB", json!({"t": "cleaning"}))
        .with_index(Index::Gsi1, "PUB#cleaning", "2026-11-28T01:00:00.000Z#1")
        .with_index(Index::Gsi3, "JOBS#published", "2026-11-28T01:00:00.000Z#1");
    t.store
        .write(vec![Write::create(job.clone())])
        .await
        .unwrap();
    let in_index = |index, pk: &'static str| {
        let store = t.store.clone();
        async move {
            store
                .query(&Query::index_newest_first(index, pk, 10))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|i| i.key.pk)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(in_index(Index::Gsi1, "PUB#cleaning").await, ["J#1"]);
    assert_eq!(in_index(Index::Gsi3, "JOBS#published").await, ["J#1"]);
    assert!(in_index(Index::Gsi2, "PUB#cleaning").await.is_empty());

    // The job changes trade and is closed: it leaves the old entries and, being
    // closed, appears only under its new state.
    let mut closed = item("J#1", "JOB", json!({"t": "moving"})).with_index(
        Index::Gsi3,
        "JOBS#closed",
        "2026-11-28T01:00:00.000Z#1",
    );
    closed.version = 2;
    t.store
        .write(vec![Write::replace(closed, 1)])
        .await
        .unwrap();
    assert!(in_index(Index::Gsi1, "PUB#cleaning").await.is_empty());
    assert!(in_index(Index::Gsi3, "JOBS#published").await.is_empty());
    assert_eq!(in_index(Index::Gsi3, "JOBS#closed").await, ["J#1"]);

    t.store
        .write(vec![Write::delete(Key::new("J#1", "JOB"))])
        .await
        .unwrap();
    assert!(in_index(Index::Gsi3, "JOBS#closed").await.is_empty());
}

async fn index_pages_join_up_exactly(backend: Backend) {
    let t = fresh_store(backend).await;
    let mut writes = Vec::new();
    for i in 0..25 {
        let at = format!("2026-11-{:02}T08:00:00.000Z#{i:02}", 1 + i % 28);
        writes.push(Write::put(
            item(&format!("J#{i:02}"), "JOB", json!({"i": i})).with_index(
                Index::Gsi2,
                "PUB#D#chengzhong",
                at,
            ),
        ));
    }
    // Items in another partition of the index and items with no entry stay out.
    writes.push(Write::put(item("J#x", "JOB", json!({})).with_index(
        Index::Gsi2,
        "PUB#D#chengxi",
        "2026",
    )));
    writes.push(Write::put(item("J#y", "JOB", json!({}))));
    t.store.write(writes).await.unwrap();
    let mut query = Query::index_newest_first(Index::Gsi2, "PUB#D#chengzhong", 10);
    let mut seen = Vec::new();
    loop {
        let page = t.store.query(&query).await.unwrap();
        seen.extend(
            page.items
                .iter()
                .map(|i| i.index(Index::Gsi2).unwrap().sk.clone()),
        );
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first across pages");
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>().len(),
        25,
        "no item twice"
    );
    let ascending = query_all(
        &*t.store,
        Query {
            descending: false,
            range: SortKeyRange::BeginsWith("2026-11-0".into()),
            ..Query::index_newest_first(Index::Gsi2, "PUB#D#chengzhong", 3)
        },
    )
    .await
    .unwrap();
    assert_eq!(ascending.len(), 9, "days 01–09 hold items 0–8");
}

async fn get_many_returns_what_exists(backend: Backend) {
    let t = fresh_store(backend).await;
    let mut keys = Vec::new();
    for chunk in 0..2 {
        let writes: Vec<Write> = (0..75)
            .map(|i| Write::put(item(&format!("W#{chunk}-{i}"), "WKR", json!({"i": i}))))
            .collect();
        t.store.write(writes).await.unwrap();
        keys.extend((0..75).map(|i| Key::new(format!("W#{chunk}-{i}"), "WKR")));
    }
    keys.push(Key::new("W#missing", "WKR"));
    let found = t.store.get_many(&keys).await.unwrap();
    assert_eq!(found.len(), 150);
    let found_keys: BTreeSet<Key> = found.into_iter().map(|i| i.key).collect();
    assert!(!found_keys.contains(&Key::new("W#missing", "WKR")));
    assert!(t.store.get_many(&[]).await.unwrap().is_empty());
}

async fn expiry_round_trips(backend: Backend) {
    let t = fresh_store(backend).await;
    let mut expiring = item("I#1", "IDEM", json!({}));
    expiring.expires_at = Some(1_700_000_000);
    t.store
        .write(vec![Write::put(expiring.clone())])
        .await
        .unwrap();
    let back = t.store.get(&expiring.key).await.unwrap().unwrap();
    assert_eq!(back.expires_at, Some(1_700_000_000));
    assert!(back.is_expired(1_700_000_001));
    assert!(!back.is_expired(1_699_999_999));
}

async fn optimistic_counter_under_concurrency(backend: Backend) {
    let t = fresh_store(backend).await;
    let key = Key::new("C#1", "COUNTER");
    t.store
        .write(vec![Write::create(item("C#1", "COUNTER", json!({"n": 0})))])
        .await
        .unwrap();
    let store: Arc<dyn ItemStore> = t.store.clone();
    let tasks = (0..20).map(|_| {
        let store = store.clone();
        let key = key.clone();
        tokio::spawn(async move {
            loop {
                let current = store.get(&key).await.unwrap().unwrap();
                let n = current.body["n"].as_u64().unwrap();
                let mut next = current.clone();
                next.body.insert("n".into(), json!(n + 1));
                next.version += 1;
                match store
                    .write(vec![Write::replace(next, current.version)])
                    .await
                {
                    Ok(()) => return,
                    Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                    Err(e) => panic!("{e}"),
                }
            }
        })
    });
    for task in futures::future::join_all(tasks).await {
        task.unwrap();
    }
    let done = t.store.get(&key).await.unwrap().unwrap();
    assert_eq!(done.body["n"], json!(20));
    assert_eq!(done.version, 21);
}

/// The in-memory store (used by the matching benchmark) keeps the same contract.
mod memory {
    #[tokio::test]
    async fn bodies_round_trip() {
        super::bodies_round_trip(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn create_refuses_to_overwrite() {
        super::create_refuses_to_overwrite(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn versions_guard_updates() {
        super::versions_guard_updates(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn a_failed_condition_writes_nothing() {
        super::a_failed_condition_writes_nothing(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn malformed_batches_are_refused() {
        super::malformed_batches_are_refused(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn partition_queries_order_filter_and_page() {
        super::partition_queries_order_filter_and_page(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn index_entries_follow_the_item() {
        super::index_entries_follow_the_item(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn index_pages_join_up_exactly() {
        super::index_pages_join_up_exactly(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn get_many_returns_what_exists() {
        super::get_many_returns_what_exists(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn expiry_round_trips() {
        super::expiry_round_trips(lingong_tests::Backend::Memory).await;
    }
    #[tokio::test]
    async fn optimistic_counter_under_concurrency() {
        super::optimistic_counter_under_concurrency(lingong_tests::Backend::Memory).await;
    }
}
