//! Rejected requests are logged in aggregate: a count per kind, written as one line per
//! interval, never one line per request. A flood of refused requests (rate-limited,
//! robots filling the honeypot, bad proofs of work, failed logins, bad signatures, bad
//! input) otherwise writes a log line each, and the log becomes the attack's target
//! (close to a million lines in 90 seconds were seen).
//!
//! [`note`] counts into a process-wide [`Tally`]. The line for an interval is written by
//! the first rejection after the interval ended, and by a ticker task (started on the
//! first rejection, inside a Tokio runtime) so the last counts of a burst are not kept
//! back until the next one.

use std::{
    fmt,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// How often at most a line of counts is written.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Over a rate limit (429).
    RateLimited,
    /// The hidden field only robots fill in was filled.
    Honeypot,
    /// The proof of work was missing its mark: invalid, replayed, expired or too fast.
    ProofOfWork,
    /// The request's fields or body were wrong (a 400, 413, 415 or 422). A refused
    /// honeypot or proof of work answers 422, so it is counted here too.
    BadInput,
    /// A staff login with a wrong name or password.
    FailedLogin,
    /// A staff form without a valid CSRF token.
    Csrf,
    /// A signed inbound call with a bad or stale signature.
    BadSignature,
}

impl Rejection {
    /// Every kind, in the order of the log line.
    pub const ALL: [Rejection; 7] = [
        Rejection::RateLimited,
        Rejection::Honeypot,
        Rejection::ProofOfWork,
        Rejection::BadInput,
        Rejection::FailedLogin,
        Rejection::Csrf,
        Rejection::BadSignature,
    ];

    /// The name in the log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::RateLimited => "rate_limited",
            Rejection::Honeypot => "honeypot",
            Rejection::ProofOfWork => "proof_of_work",
            Rejection::BadInput => "bad_input",
            Rejection::FailedLogin => "failed_login",
            Rejection::Csrf => "csrf",
            Rejection::BadSignature => "bad_signature",
        }
    }

    fn index(self) -> usize {
        match self {
            Rejection::RateLimited => 0,
            Rejection::Honeypot => 1,
            Rejection::ProofOfWork => 2,
            Rejection::BadInput => 3,
            Rejection::FailedLogin => 4,
            Rejection::Csrf => 5,
            Rejection::BadSignature => 6,
        }
    }
}

/// The counts of one closed interval: what one log line says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// How many of each kind, kinds with none left out, in [`Rejection::ALL`] order.
    pub counts: Vec<(Rejection, u64)>,
}

impl Summary {
    /// How many of `kind`.
    pub fn count(&self, kind: Rejection) -> u64 {
        self.counts
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (kind, n) in &self.counts {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{}={n}", kind.as_str())?;
        }
        Ok(())
    }
}

/// Counts of rejections since the current interval began. Time is passed in, so the
/// aggregation is tested without waiting.
#[derive(Debug)]
pub struct Tally {
    interval: Duration,
    started: Option<Instant>,
    counts: [u64; Rejection::ALL.len()],
}

impl Tally {
    /// An empty tally writing at most one line per `interval`.
    pub const fn new(interval: Duration) -> Tally {
        Tally {
            interval,
            started: None,
            counts: [0; Rejection::ALL.len()],
        }
    }

    /// Counts one `kind` at `now`. When the interval before `now` has ended, its counts
    /// come back to be written (and `now`'s rejection opens the next one).
    pub fn record(&mut self, kind: Rejection, now: Instant) -> Option<Summary> {
        let closed = self.flush(now);
        if self.started.is_none() {
            self.started = Some(now);
        }
        self.counts[kind.index()] += 1;
        closed
    }

    /// The counts of the current interval if it has ended by `now`; the tally is then
    /// empty again.
    pub fn flush(&mut self, now: Instant) -> Option<Summary> {
        let started = self.started?;
        if now.saturating_duration_since(started) < self.interval {
            return None;
        }
        self.take()
    }

    /// Whatever is counted, interval ended or not (for shutdown and tests).
    pub fn take(&mut self) -> Option<Summary> {
        self.started = None;
        let counts: Vec<(Rejection, u64)> = Rejection::ALL
            .iter()
            .map(|kind| (*kind, std::mem::take(&mut self.counts[kind.index()])))
            .filter(|(_, n)| *n > 0)
            .collect();
        (!counts.is_empty()).then_some(Summary { counts })
    }
}

static TALLY: Mutex<Tally> = Mutex::new(Tally::new(INTERVAL));
static TOTALS: [AtomicU64; Rejection::ALL.len()] = [const { AtomicU64::new(0) }; 7];
static TICKER: OnceLock<()> = OnceLock::new();

fn write(summary: &Summary) {
    tracing::warn!(
        seconds = INTERVAL.as_secs(),
        counts = %summary,
        "rejected requests"
    );
}

/// Counts a rejected request for the aggregate log line, instead of logging it alone.
pub fn note(kind: Rejection) {
    TOTALS[kind.index()].fetch_add(1, Ordering::Relaxed);
    let closed = match TALLY.lock() {
        Ok(mut tally) => tally.record(kind, Instant::now()),
        // A panic elsewhere while holding the lock: the counts are only for the log.
        Err(poisoned) => poisoned.into_inner().record(kind, Instant::now()),
    };
    if let Some(summary) = closed {
        write(&summary);
    }
    start_ticker();
}

/// Writes the counts not yet written, whether or not the interval has ended.
pub fn flush() {
    let pending = match TALLY.lock() {
        Ok(mut tally) => tally.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    if let Some(summary) = pending {
        write(&summary);
    }
}

/// How many rejections of `kind` this process has counted since it started.
pub fn total(kind: Rejection) -> u64 {
    TOTALS[kind.index()].load(Ordering::Relaxed)
}

fn start_ticker() {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    TICKER.get_or_init(|| {
        runtime.spawn(async {
            let mut tick = tokio::time::interval(INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let closed = match TALLY.lock() {
                    Ok(mut tally) => tally.flush(Instant::now()),
                    Err(poisoned) => poisoned.into_inner().flush(Instant::now()),
                };
                if let Some(summary) = closed {
                    write(&summary);
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_in_one_interval_is_one_line_with_its_count() {
        let start = Instant::now();
        let mut tally = Tally::new(INTERVAL);
        let mut lines = Vec::new();
        for n in 0..1000u32 {
            // 1000 rejections spread over 9.99 s: all inside the first interval.
            let at = start + Duration::from_millis(u64::from(n) * 9990 / 1000);
            lines.extend(tally.record(Rejection::RateLimited, at));
        }
        assert!(
            lines.is_empty(),
            "no line before the interval ends: {lines:?}"
        );
        let closed = tally.flush(start + INTERVAL).expect("the interval ended");
        assert_eq!(closed.count(Rejection::RateLimited), 1000);
        assert_eq!(closed.to_string(), "rate_limited=1000");
        assert_eq!(tally.flush(start + INTERVAL * 2), None, "nothing twice");
    }

    #[test]
    fn each_interval_gets_one_line_with_its_own_counts() {
        let start = Instant::now();
        let mut tally = Tally::new(INTERVAL);
        let mut lines = Vec::new();
        for _ in 0..5 {
            lines.extend(tally.record(Rejection::Honeypot, start));
        }
        for _ in 0..3 {
            lines.extend(tally.record(Rejection::ProofOfWork, start + Duration::from_secs(1)));
        }
        // The first rejection after the interval writes the line of the one before.
        lines.extend(tally.record(Rejection::RateLimited, start + INTERVAL));
        lines.extend(tally.record(Rejection::RateLimited, start + INTERVAL));
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].to_string(), "honeypot=5 proof_of_work=3");
        let second = tally.take().expect("counts of the second interval");
        assert_eq!(second.to_string(), "rate_limited=2");
        assert_eq!(tally.take(), None);
    }

    #[test]
    fn note_counts_every_rejection() {
        let before = total(Rejection::Csrf);
        for _ in 0..7 {
            note(Rejection::Csrf);
        }
        assert!(total(Rejection::Csrf) >= before + 7);
    }
}
