//! Running change consumers locally: each consumer reads a change log in order, as a
//! Lambda function reads the table's stream on AWS (`lingong serve` uses this). A consumer that
//! fails is retried with backoff from the first change it did not finish; after
//! [`MAX_ATTEMPTS`] the change is parked (kept for staff, never dropped) and the
//! consumer moves on, as the stream's on-failure destination does on AWS.

use std::{sync::Arc, time::Duration};

use super::{Change, ChangeConsumer, ChangeLog};

/// Tries per change before it is parked.
pub const MAX_ATTEMPTS: u32 = 5;
/// Changes handed to a consumer at once (a stream batch).
pub const BATCH: usize = 100;

/// Starts one task per consumer.
pub fn spawn(log: Arc<dyn ChangeLog>, consumers: Vec<Arc<dyn ChangeConsumer>>) {
    for consumer in consumers {
        let log = log.clone();
        tokio::spawn(async move {
            run(&*log, &*consumer).await;
        });
    }
}

/// Feeds `consumer` until the process ends.
pub async fn run(log: &dyn ChangeLog, consumer: &dyn ChangeConsumer) {
    let name = consumer.name();
    let mut seen = loop {
        match log.checkpoint(name).await {
            Ok(seq) => break seq,
            Err(e) => {
                tracing::error!(consumer = name, error = %e, "reading checkpoint failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut attempts = 0u32;
    loop {
        let batch = match log.changes_after(seen, BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(consumer = name, error = %e, "reading changes failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if batch.is_empty() {
            log.wait_for_changes(seen).await;
            continue;
        }
        let changes: Vec<Change> = batch.iter().map(|(_, c)| c.clone()).collect();
        let done_upto = match consumer.consume(&changes).await {
            Ok(()) => {
                attempts = 0;
                batch.last().map(|(seq, _)| *seq)
            }
            Err(error) => {
                attempts += 1;
                let failed = error.first_failed.min(batch.len() - 1);
                tracing::warn!(consumer = name, attempt = attempts, error = %error, "background step failed");
                if attempts >= MAX_ATTEMPTS {
                    let (seq, change) = &batch[failed];
                    if let Err(e) = log.park(name, *seq, change, &error.reason).await {
                        tracing::error!(consumer = name, error = %e, "parking a change failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                    tracing::error!(
                        consumer = name,
                        seq,
                        "change parked after repeated failures"
                    );
                    attempts = 0;
                    Some(*seq)
                } else {
                    tokio::time::sleep(Duration::from_millis(200 << attempts)).await;
                    failed.checked_sub(1).map(|i| batch[i].0)
                }
            }
        };
        if let Some(seq) = done_upto {
            match log.set_checkpoint(name, seq).await {
                Ok(()) => seen = seq,
                Err(e) => tracing::error!(consumer = name, error = %e, "saving checkpoint failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::{
        changes::ConsumeError,
        store::{Key, StoreError},
    };

    #[derive(Default)]
    struct MemoryLog {
        changes: Vec<(u64, Change)>,
        checkpoint: Mutex<u64>,
        parked: Mutex<Vec<u64>>,
    }

    #[async_trait]
    impl ChangeLog for MemoryLog {
        async fn changes_after(
            &self,
            after: u64,
            limit: usize,
        ) -> Result<Vec<(u64, Change)>, StoreError> {
            Ok(self
                .changes
                .iter()
                .filter(|(s, _)| *s > after)
                .take(limit)
                .cloned()
                .collect())
        }
        async fn checkpoint(&self, _: &str) -> Result<u64, StoreError> {
            Ok(*self.checkpoint.lock().unwrap())
        }
        async fn set_checkpoint(&self, _: &str, seq: u64) -> Result<(), StoreError> {
            *self.checkpoint.lock().unwrap() = seq;
            Ok(())
        }
        async fn park(&self, _: &str, seq: u64, _: &Change, _: &str) -> Result<(), StoreError> {
            self.parked.lock().unwrap().push(seq);
            Ok(())
        }
        async fn wait_for_changes(&self, _: u64) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Fails on the change with sort key "poison" every time; records what it handled.
    #[derive(Default)]
    struct Picky {
        handled: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl ChangeConsumer for Picky {
        fn name(&self) -> &'static str {
            "picky"
        }
        async fn consume(&self, changes: &[Change]) -> Result<(), ConsumeError> {
            for (i, change) in changes.iter().enumerate() {
                if change.key.sk == "poison" {
                    return Err(ConsumeError {
                        consumer: "picky",
                        first_failed: i,
                        reason: "poison".into(),
                    });
                }
                self.handled.lock().unwrap().push(change.key.sk.clone());
            }
            Ok(())
        }
    }

    fn change(sk: &str) -> Change {
        Change {
            key: Key::new("P", sk),
            old: None,
            new: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_poison_change_is_parked_and_the_rest_go_through() {
        let log = Arc::new(MemoryLog {
            changes: vec![(1, change("a")), (2, change("poison")), (3, change("b"))],
            ..Default::default()
        });
        let consumer = Arc::new(Picky::default());
        let task = {
            let (log, consumer) = (log.clone(), consumer.clone());
            tokio::spawn(async move { run(&*log, &*consumer).await })
        };
        for _ in 0..200 {
            if *log.checkpoint.lock().unwrap() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        task.abort();
        assert_eq!(*log.checkpoint.lock().unwrap(), 3);
        assert_eq!(*log.parked.lock().unwrap(), vec![2]);
        // "a" was handled once per retry of the batch that started with it only until the
        // checkpoint passed it: the runner resumes after the last good change.
        let handled = consumer.handled.lock().unwrap().clone();
        assert_eq!(
            handled.iter().filter(|s| *s == "a").count(),
            1,
            "{handled:?}"
        );
        assert_eq!(
            handled.iter().filter(|s| *s == "b").count(),
            1,
            "{handled:?}"
        );
    }
}
