//! The per-date lease: at most one run publishes a given date at a time, and
//! every file a run writes is on record until a manifest lists it or a lease
//! holder deletes it. The protocol and its guarantees are in the README
//! ("Publishing"); [`crate::publish`] drives it.
//!
//! The lease is one object, `_leases/snapshot_date=D.json`, only ever written
//! conditionally ([`Location::put_if`]): created if absent, else replaced at
//! the exact version last read (compare-and-swap). It names its holder (run
//! id, a unique owner token, the process), an expiry that the holder renews
//! while it runs, the manifest version the holder planned against and the
//! files it writes. A holder that loses a compare-and-swap has lost the lease
//! and stops before its next write.
//!
//! A lease is taken over only when released, expired, or held by a process of
//! this machine that no longer exists. The files of a holder that lost its
//! lease stay on record: as *pending* while the holder could still commit
//! (the committed manifest is still at the version it planned against, so its
//! conditional commit may yet succeed), else as *garbage*, which any later
//! holder deletes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use crate::error::{Error, Result};
use crate::storage::{Location, Precondition, PutIfError, Version};

/// How long a lease is valid without renewal.
pub const TTL: Duration = Duration::from_secs(120);
/// How often a holder renews its lease in the background (it also renews
/// before every write and delete).
pub const RENEW_EVERY: Duration = Duration::from_secs(30);

/// Where the lease of a date lives, relative to the output root.
pub fn lease_path(snapshot_date: &str) -> String {
    format!("_leases/snapshot_date={snapshot_date}.json")
}

/// The wall clock the lease reads (its expiry), injected: tests move it
/// forward to see a lease expire without waiting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    /// The system clock shifted by this many seconds.
    OffsetSeconds(i64),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::OffsetSeconds(s) => Utc::now() + chrono::Duration::seconds(*s),
        }
    }
}

/// A process, as far as another process can tell whether it still exists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProcessId {
    pub host: String,
    /// `/proc/sys/kernel/random/boot_id`: the machine and its boot.
    pub boot_id: String,
    /// The pid namespace (`/proc/self/ns/pid`): a pid means something only in it.
    pub pid_namespace: String,
    pub pid: u32,
    /// The process's start time in clock ticks since boot (field 22 of
    /// `/proc/<pid>/stat`): tells a reused pid from the original process.
    pub start_ticks: String,
}

impl ProcessId {
    /// This process. Fields that cannot be read are empty (then no other
    /// process can conclude that this one is gone; it waits for the expiry).
    pub fn current() -> Self {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let pid = std::process::id();
        ProcessId {
            host: read("/proc/sys/kernel/hostname"),
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            pid_namespace: std::fs::read_link("/proc/self/ns/pid")
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pid,
            start_ticks: proc_stat(pid).map(|(_, start)| start).unwrap_or_default(),
        }
    }

    /// True only when this process provably no longer exists: it ran on this
    /// machine, in this boot and pid namespace, and its pid is gone, a zombie,
    /// or now belongs to a process started at another time.
    pub fn is_gone(&self) -> bool {
        let here = ProcessId::current();
        if self.boot_id.is_empty()
            || self.pid_namespace.is_empty()
            || self.start_ticks.is_empty()
            || self.boot_id != here.boot_id
            || self.pid_namespace != here.pid_namespace
            || self.host != here.host
        {
            return false;
        }
        match proc_stat(self.pid) {
            None => true,
            Some((state, start)) => state == 'Z' || state == 'X' || start != self.start_ticks,
        }
    }
}

/// State and start time of a process, from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(char, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.to_string();
    Some((state, start))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LeaseState {
    Held,
    Released,
}

/// Files of an earlier holder that may still be committed: its commit is
/// conditional on the manifest being at `planned_manifest`, so while it is,
/// they are kept; once the manifest has moved on, they are garbage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub owner: String,
    /// The process that may still commit them.
    pub process: ProcessId,
    /// The manifest version the holder planned against (null: none existed).
    pub planned_manifest: Option<Version>,
    pub files: Vec<String>,
}

/// The lease object's content.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LeaseRecord {
    pub snapshot_date: String,
    /// Unique per acquisition: run id, process id and a counter.
    pub owner: String,
    pub run_id: String,
    pub process: ProcessId,
    pub state: LeaseState,
    /// Bumped by every write of the holder (tells our write from another's
    /// when a response was lost).
    pub seq: u64,
    /// Milliseconds since the Unix epoch, by the holder's clock.
    pub expires_at_ms: i64,
    /// The same instant, for people.
    pub expires_at: String,
    /// The manifest version the holder planned against.
    pub planned_manifest: Option<Version>,
    /// Files the holder writes and, when it replaces a snapshot, the files of
    /// that snapshot.
    pub files: Vec<String>,
    pub pending: Vec<Pending>,
    /// Files no run can commit any more; the next holder deletes them.
    pub garbage: Vec<String>,
}

impl LeaseRecord {
    fn expired(&self, now: DateTime<Utc>) -> bool {
        now.timestamp_millis() > self.expires_at_ms
    }

    fn extend(&mut self, now: DateTime<Utc>) {
        let until = now + chrono::Duration::from_std(TTL).unwrap_or_default();
        self.expires_at_ms = until.timestamp_millis();
        self.expires_at = until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    }

    /// Who holds it, for messages.
    pub fn describe(&self) -> String {
        format!(
            "run {} (pid {} on {}), lease valid until {}",
            self.run_id,
            self.process.pid,
            if self.process.host.is_empty() {
                "an unknown host"
            } else {
                &self.process.host
            },
            self.expires_at
        )
    }

    /// Every file on record: the holder's, pending and garbage.
    pub fn recorded_files(&self) -> impl Iterator<Item = &String> {
        let held = match self.state {
            LeaseState::Held => self.files.as_slice(),
            LeaseState::Released => &[],
        };
        held.iter()
            .chain(self.pending.iter().flat_map(|p| p.files.iter()))
            .chain(self.garbage.iter())
    }
}

/// What a run claims when it takes the lease.
#[derive(Debug, Clone)]
pub struct Claim {
    pub run_id: String,
    pub planned_manifest: Option<Version>,
    pub files: Vec<String>,
}

/// The outcome of [`acquire`].
pub enum Acquired {
    Held(Box<Lease>),
    /// Another live run holds the lease.
    Busy(Box<LeaseRecord>),
}

/// A held lease.
pub struct Lease {
    out: Location,
    path: Path,
    record: LeaseRecord,
    version: Version,
    clock: Clock,
    /// Set once a renewal found another holder.
    lost: Option<String>,
    /// Set once this holder's clean-up is recorded ([`Lease::set_leftovers`]).
    cleaned: bool,
}

/// The lease shared by a run's steps and its background renewal.
pub type SharedLease = Arc<tokio::sync::Mutex<Lease>>;

static ACQUISITIONS: AtomicU64 = AtomicU64::new(0);

/// Reads the lease of a date, if there is one (`None` too if unreadable).
pub async fn read(out: &Location, snapshot_date: &str) -> Result<Option<LeaseRecord>> {
    let path = out.path(&lease_path(snapshot_date));
    match current(out, &path).await {
        Ok(found) => Ok(found.and_then(|(record, _)| record)),
        Err(e) => Err(Error::storage(
            format!("reading {}", out.describe(&path)),
            e,
        )),
    }
}

/// The lease object as it is now: its record (`None` if unreadable) and
/// version; `None` if there is no lease object.
async fn current(
    out: &Location,
    path: &Path,
) -> object_store::Result<Option<(Option<LeaseRecord>, Version)>> {
    Ok(out
        .get_versioned(path)
        .await?
        .map(|(bytes, version)| (serde_json::from_slice(&bytes).ok(), version)))
}

/// Takes the lease of a date for `claim`, unless another live run holds it.
/// The files of a holder taken over are carried into the new record, as
/// pending or garbage by the manifest version read here.
pub async fn acquire(
    out: &Location,
    snapshot_date: &str,
    claim: Claim,
    clock: Clock,
) -> Result<Acquired> {
    let path = out.path(&lease_path(snapshot_date));
    let storage = |e: object_store::Error| {
        Error::storage(format!("taking the lease {}", out.describe(&path)), e)
    };
    for _ in 0..8 {
        let found = out.get_versioned(&path).await.map_err(storage)?;
        // Read after the lease: a holder's planned version is never newer.
        let manifest_version = crate::publish::manifest_version(out, snapshot_date).await?;
        let now = clock.now();
        let (condition, mut pending, mut garbage) = match found {
            None => (Precondition::Absent, Vec::new(), Vec::new()),
            Some((bytes, version)) => match serde_json::from_slice::<LeaseRecord>(&bytes) {
                Ok(old) => {
                    let gone = old.process.is_gone();
                    if old.state == LeaseState::Held && !old.expired(now) && !gone {
                        return Ok(Acquired::Busy(Box::new(old)));
                    }
                    if old.state == LeaseState::Held {
                        warn!(holder = %old.describe(), gone, "taking over the lease of a run that stopped renewing it");
                    }
                    let mut pending = old.pending;
                    if old.state == LeaseState::Held && !old.files.is_empty() {
                        pending.push(Pending {
                            owner: old.owner,
                            process: old.process,
                            planned_manifest: old.planned_manifest,
                            files: old.files,
                        });
                    }
                    (Precondition::At(version), pending, old.garbage)
                }
                Err(e) => {
                    warn!(error = %e, "the lease record is unreadable; taking it over");
                    (Precondition::At(version), Vec::new(), Vec::new())
                }
            },
        };
        classify(&mut pending, &mut garbage, manifest_version.as_ref());
        let n = ACQUISITIONS.fetch_add(1, Ordering::Relaxed);
        let process = ProcessId::current();
        let mut record = LeaseRecord {
            snapshot_date: snapshot_date.to_string(),
            owner: format!(
                "{}-{}-{}-{n}",
                claim.run_id,
                process.pid,
                now.timestamp_nanos_opt().unwrap_or_default()
            ),
            run_id: claim.run_id.clone(),
            process,
            state: LeaseState::Held,
            seq: 0,
            expires_at_ms: 0,
            expires_at: String::new(),
            planned_manifest: claim.planned_manifest.clone(),
            files: claim.files.clone(),
            pending,
            garbage,
        };
        record.extend(now);
        let body = to_json(&record)?;
        let version = match out.put_if(&path, body, &condition).await {
            Ok(version) => version,
            Err(PutIfError::Conflict) => continue,
            // A lost response: the write may have been applied.
            Err(PutIfError::Store(e)) => match current(out, &path).await {
                Ok(Some((Some(found), version))) if found == record => version,
                _ => return Err(storage(e)),
            },
        };
        debug!(owner = %record.owner, "lease taken");
        return Ok(Acquired::Held(Box::new(Lease {
            out: out.clone(),
            path,
            record,
            version,
            clock,
            lost: None,
            cleaned: false,
        })));
    }
    Err(Error::storage(
        format!("taking the lease {}", out.describe(&path)),
        object_store::Error::Generic {
            store: "output",
            source: "the lease kept changing under this run (8 attempts)".into(),
        },
    ))
}

/// Moves pending entries that can no longer be committed to garbage: the
/// manifest is no longer at the version they planned against (their
/// conditional commit would fail), or their process is gone.
fn classify(pending: &mut Vec<Pending>, garbage: &mut Vec<String>, committed: Option<&Version>) {
    let (keep, dead): (Vec<Pending>, Vec<Pending>) = std::mem::take(pending)
        .into_iter()
        .partition(|p| p.planned_manifest.as_ref() == committed && !p.process.is_gone());
    *pending = keep;
    for entry in dead {
        garbage.extend(entry.files);
    }
    garbage.sort();
    garbage.dedup();
}

fn to_json(record: &LeaseRecord) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(record).map_err(|e| Error::internal_from("serialising the lease", e))
}

impl Lease {
    pub fn record(&self) -> &LeaseRecord {
        &self.record
    }

    /// Renews the lease (a compare-and-swap on the version last written):
    /// proof that this run still holds it, and a fresh expiry. Fails with
    /// [`Error::LeaseLost`] when another run has taken it over.
    pub async fn renew(&mut self) -> Result<()> {
        let mut next = self.record.clone();
        next.seq += 1;
        next.extend(self.clock.now());
        self.swap(next).await
    }

    /// Writes `next` over the version this holder last wrote.
    async fn swap(&mut self, next: LeaseRecord) -> Result<()> {
        if let Some(by) = &self.lost {
            return Err(self.lost_error(by.clone()));
        }
        let body = to_json(&next)?;
        let condition = Precondition::At(self.version.clone());
        let version = match self.out.put_if(&self.path, body, &condition).await {
            Ok(version) => version,
            Err(PutIfError::Conflict) => return self.lost_now().await,
            // A lost response: the write may have been applied.
            Err(PutIfError::Store(e)) => match current(&self.out, &self.path).await {
                Ok(Some((Some(found), version))) if found == next => version,
                Ok(Some((found, _)))
                    if found.as_ref().is_none_or(|r| r.owner != self.record.owner) =>
                {
                    return self.lost_now().await;
                }
                _ => {
                    return Err(Error::storage(
                        format!("renewing the lease {}", self.out.describe(&self.path)),
                        e,
                    ));
                }
            },
        };
        self.version = version;
        self.record = next;
        Ok(())
    }

    async fn lost_now(&mut self) -> Result<()> {
        let by = match read(&self.out, &self.record.snapshot_date).await {
            Ok(Some(other)) => other.describe(),
            _ => "its record is gone".to_string(),
        };
        warn!(by = %by, "this run lost its lease");
        self.lost = Some(by.clone());
        Err(self.lost_error(by))
    }

    fn lost_error(&self, by: String) -> Error {
        Error::LeaseLost {
            date: self.record.snapshot_date.clone(),
            by,
        }
    }

    /// Records the outcome of cleaning up: entries still pending (the
    /// manifest is at their planned version) and files left to delete.
    pub async fn set_leftovers(
        &mut self,
        pending: Vec<Pending>,
        garbage: Vec<String>,
    ) -> Result<()> {
        let mut next = self.record.clone();
        next.seq += 1;
        next.pending = pending;
        next.garbage = garbage;
        self.swap(next).await?;
        self.cleaned = true;
        Ok(())
    }

    /// Releases the lease (best effort: a failure leaves it to expire). When
    /// this run did not commit, its files stay on record as pending (its
    /// commit may have been applied without a response) for the next holder
    /// to sort out; when it committed but its clean-up did not finish, its
    /// files (those of a replaced snapshot among them) go to garbage, which
    /// the next holder deletes except what the committed manifest lists.
    pub async fn release(&mut self, committed: bool) {
        if self.lost.is_some() {
            return;
        }
        let mut next = self.record.clone();
        next.seq += 1;
        next.state = LeaseState::Released;
        let files = std::mem::take(&mut next.files);
        if !committed && !files.is_empty() {
            next.pending.push(Pending {
                owner: next.owner.clone(),
                process: next.process.clone(),
                planned_manifest: next.planned_manifest.clone(),
                files,
            });
        } else if committed && !self.cleaned {
            next.garbage.extend(files);
            next.garbage.sort();
            next.garbage.dedup();
        }
        if let Err(e) = self.swap(next).await {
            warn!(error = %e, "releasing the lease failed; it expires by itself");
        }
    }
}

/// The background renewal of a held lease.
pub struct Renewal {
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// Renews the lease every [`RENEW_EVERY`] until stopped or a renewal fails
/// (the run then fails at its next fenced step).
pub fn keep_alive(lease: SharedLease) -> Renewal {
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {}
                _ = stopped.notified() => return,
            }
            // A renewal in flight is never cancelled: the holder's record of
            // the version it last wrote stays exact.
            if let Err(e) = lease.lock().await.renew().await {
                warn!(error = %e, "renewing the lease failed");
                return;
            }
        }
    });
    Renewal { stop, task }
}

impl Renewal {
    /// Stops renewing (after a renewal in flight, if any, completes).
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

/// Sorts a record's pending entries against the committed manifest version.
pub fn sort_pending(
    record: &LeaseRecord,
    committed: Option<&Version>,
) -> (Vec<Pending>, Vec<String>) {
    let mut pending = record.pending.clone();
    let mut garbage = record.garbage.clone();
    classify(&mut pending, &mut garbage, committed);
    (pending, garbage)
}
