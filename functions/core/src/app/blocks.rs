//! Blacklists, kept by staff: an employer's block of a worker (after a no-show or a
//! dispute; matching never offers that employer's jobs to the worker again), and a
//! station hold on a worker (no automated offers and no applications at all until
//! released). Both are explained to the worker on request; neither deletes anything.

use super::{App, ManageError, RETRIES};
use crate::{
    keys,
    records::{Block, block_item},
    station::Station,
    store::{StoreError, Write},
    worker::{Hold, Worker},
};

impl App {
    /// Records that `employer_id` does not want `worker_id` offered again.
    pub async fn block_for_employer(
        &self,
        station: &Station,
        employer_id: &str,
        worker_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let block = Block {
            station: station.id.clone(),
            employer_id: employer_id.to_owned(),
            worker_id: worker_id.to_owned(),
            reason: reason.trim().chars().take(200).collect(),
            at: self.clock.now(),
        };
        self.store
            .write(vec![Write::put(block_item(&block)?)])
            .await
    }

    /// Lifts an employer's block.
    pub async fn unblock_for_employer(
        &self,
        station: &Station,
        employer_id: &str,
        worker_id: &str,
    ) -> Result<(), StoreError> {
        self.store
            .write(vec![Write::delete(keys::employer_block(
                &station.id,
                employer_id,
                worker_id,
            ))])
            .await
    }

    /// Puts a station hold on a worker (`Some(reason)`) or releases it (`None`). The
    /// worker's skill items follow, so matching stops (or resumes) finding them.
    pub async fn set_hold(
        &self,
        station: &Station,
        worker_id: &str,
        reason: Option<&str>,
    ) -> Result<Worker, ManageError> {
        for _ in 0..RETRIES {
            let before = self
                .worker_by_id(station, worker_id)
                .await?
                .ok_or(ManageError::NotFound)?;
            let now = self.clock.now();
            let mut after = before.clone();
            after.hold = reason.map(|r| Hold {
                reason: r.trim().chars().take(200).collect(),
                since: now,
            });
            if after.hold.is_none() && before.hold.is_none() {
                return Ok(before);
            }
            after.updated_at = now;
            after.version = before.version + 1;
            let writes = self.worker_writes(&before, &after).await?;
            match self.store.write(writes).await {
                Ok(()) => return Ok(after),
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ManageError::Busy)
    }
}
