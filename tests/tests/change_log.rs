//! The embedded store's change log: what `lingong serve` feeds to background work, as a
//! DynamoDB stream does on AWS. Every write appears once, in order, with its old and new
//! image; a failed batch appears not at all; the log survives a restart.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use lingong_core::{
    changes::ChangeLog,
    store::{Item, ItemStore, Key, Write},
};
use lingong_store_embedded::RedbStore;
use serde_json::json;

fn item(pk: &str, n: u64) -> Item {
    let mut item = Item::new(
        Key::new(pk, "S"),
        json!({ "n": n }).as_object().unwrap().clone(),
    );
    item.version = n;
    item
}

#[tokio::test]
async fn writes_are_logged_in_order_with_both_images() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open_dir(dir.path()).unwrap();
    store
        .write(vec![
            Write::create(item("A", 1)),
            Write::create(item("B", 1)),
        ])
        .await
        .unwrap();
    store
        .write(vec![Write::replace(item("A", 2), 1)])
        .await
        .unwrap();
    // A failed batch leaves no trace.
    assert!(
        store
            .write(vec![
                Write::create(item("C", 1)),
                Write::create(item("A", 9))
            ])
            .await
            .is_err()
    );
    store
        .write(vec![Write::delete(Key::new("B", "S"))])
        .await
        .unwrap();
    // Deleting nothing changes nothing.
    store
        .write(vec![Write::delete(Key::new("Z", "S"))])
        .await
        .unwrap();

    let log = store.changes_after(0, 100).await.unwrap();
    let summary: Vec<(u64, &str, Option<u64>, Option<u64>)> = log
        .iter()
        .map(|(seq, c)| {
            (
                *seq,
                c.key.pk.as_str(),
                c.old.as_ref().map(|i| i.version),
                c.new.as_ref().map(|i| i.version),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "A", None, Some(1)),
            (2, "B", None, Some(1)),
            (3, "A", Some(1), Some(2)),
            (4, "B", Some(1), None),
        ]
    );
    assert_eq!(store.changes_after(2, 1).await.unwrap()[0].0, 3);
}

#[tokio::test]
async fn checkpoints_prune_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RedbStore::open_dir(dir.path()).unwrap();
        for n in 1..=5 {
            store
                .write(vec![Write::put(item(&format!("K{n}"), 1))])
                .await
                .unwrap();
        }
        store.set_checkpoint("site", 3).await.unwrap();
        store.set_checkpoint("matching", 5).await.unwrap();
        // Changes 1–3 have been passed by both consumers and are pruned.
        let left: Vec<u64> = store
            .changes_after(0, 100)
            .await
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(left, vec![4, 5]);
        let (_, change) = &store.changes_after(3, 1).await.unwrap()[0];
        store.park("site", 4, change, "test").await.unwrap();
    }
    let store = RedbStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.checkpoint("site").await.unwrap(), 3);
    assert_eq!(store.checkpoint("never-ran").await.unwrap(), 0);
    store.write(vec![Write::put(item("K6", 1))]).await.unwrap();
    let seqs: Vec<u64> = store
        .changes_after(3, 100)
        .await
        .unwrap()
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(seqs, vec![4, 5, 6], "numbering continues after a restart");
    let parked = store.parked().await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].0, "site");
    assert_eq!(parked[0].1, 4);
}
