//! The scratch folder of a run, where its checkpoints live until it ends
//! (`checkpoints`), and the removal of the folders of runs that were killed.
//!
//! A run removes its own folder when it ends, whether it succeeds or fails.
//! A run that is killed (`kill -9`, the OOM killer, a scheduler's timeout)
//! cannot: its folder stays, with up to a gigabyte of checkpoints at scale
//! 10. So a local folder holds a lock file that its run keeps locked
//! (`flock`, exclusive) while it lives; the kernel releases the lock when
//! the process ends, however it ends. Before it makes its own folder, a run
//! on the embedded engine removes every `zafra-*` folder beside it whose
//! lock it can take: their runs have ended. A folder without a lock file
//! (made by an older zafra, or not by zafra) is never removed, nor is a
//! hidden `.zafra-*` one: a folder is made under that name and renamed once
//! its lock is held, so only a run killed in that instant leaves one (an
//! empty folder).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file in a local scratch folder that its run keeps locked.
const LOCK_FILE: &str = ".zafra-run.lock";

/// How every scratch folder's name starts.
const PREFIX: &str = "zafra-";

/// A private scratch folder for checkpoints. On the embedded engine it is
/// under `ZAFRA_SCRATCH` if set, else the system's temporary folder, and is
/// removed on drop. On a cluster it is under `[engine] scratch` (storage
/// every node sees: a shared path or an object-store URL) and is removed by
/// [`Scratch::remove`] at the end of the run.
pub struct Scratch {
    place: Place,
    /// The locked lock file of a local folder (released after the folder is
    /// removed on drop, or when the process ends).
    _lock: Option<std::fs::File>,
}

pub(crate) enum Place {
    /// A folder of this machine's file system (possibly a shared mount).
    Local(PathBuf),
    /// A folder under an object-store root.
    Store {
        root: crate::storage::Location,
        dir: object_store::path::Path,
    },
}

/// A name no other run shares: the process id and the clock (the name is
/// never part of an output).
fn run_folder_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{PREFIX}{}-{nanos}", std::process::id())
}

impl Scratch {
    /// A folder on this machine, for the embedded engine, made after the
    /// folders of killed runs beside it are removed ([`sweep`]).
    pub fn new() -> Result<Self> {
        let base = std::env::var_os("ZAFRA_SCRATCH")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        Self::swept_local(&base)
    }

    fn swept_local(base: &Path) -> Result<Self> {
        sweep(base);
        Self::local(base)
    }

    /// A new folder under `base`, with its lock file locked. The folder is
    /// made under a hidden name and renamed once its lock is held, so a
    /// `zafra-*` folder with a lock file is always locked while its run
    /// lives.
    fn local(base: &Path) -> Result<Self> {
        let name = run_folder_name();
        let staging = base.join(format!(".{name}"));
        let dir = base.join(&name);
        let io = |path: &Path, e: std::io::Error| {
            Error::storage_io(format!("creating scratch folder {}", path.display()), e)
        };
        std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
        let lock_path = staging.join(LOCK_FILE);
        let lock = std::fs::File::create(&lock_path).map_err(|e| io(&lock_path, e))?;
        let lock = match lock.lock() {
            Ok(()) => Some(lock),
            Err(e) => {
                // A file system without locks: no lock file, so no run ever
                // removes this folder; its own run still does on drop.
                tracing::warn!(folder = %staging.display(), error = %e,
                    "cannot lock the scratch folder; if this run is killed, remove it by hand");
                drop(lock);
                std::fs::remove_file(&lock_path).map_err(|e| io(&lock_path, e))?;
                None
            }
        };
        if let Err(e) = std::fs::rename(&staging, &dir) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(io(&dir, e));
        }
        Ok(Scratch {
            place: Place::Local(dir),
            _lock: lock,
        })
    }

    /// The scratch folder of a run on `engine`.
    pub fn for_engine(engine: &crate::config::Engine) -> Result<Self> {
        match engine {
            crate::config::Engine::Local => Self::new(),
            crate::config::Engine::Cluster(cluster) => Self::under(&cluster.scratch),
        }
    }

    /// A folder under `root` (a path or URL every node of the cluster sees).
    /// Nothing is swept there: a shared mount's locks may not be seen by
    /// every machine that uses it.
    pub fn under(root: &str) -> Result<Self> {
        let location = crate::storage::Location::parse(root)?;
        match location.local_root() {
            Some(path) => Self::local(path),
            None => {
                let dir = location.path(&run_folder_name());
                Ok(Scratch {
                    place: Place::Store {
                        root: location,
                        dir,
                    },
                    _lock: None,
                })
            }
        }
    }

    pub(crate) fn place(&self) -> &Place {
        &self.place
    }

    /// Removes the folder now (an object-store folder is not removed on drop).
    pub async fn remove(&self) {
        use futures::StreamExt;
        match &self.place {
            Place::Local(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Store { root, dir } => {
                let store = root.store();
                let listed = store.list(Some(dir)).map(|meta| meta.map(|m| m.location));
                let mut deleted = store.delete_stream(listed.boxed());
                while let Some(outcome) = deleted.next().await {
                    if let Err(e) = outcome {
                        tracing::warn!(error = %e, "could not remove a checkpoint file");
                    }
                }
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Place::Local(dir) = &self.place {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Removes the `zafra-*` folders under `base` whose lock file it can lock:
/// their runs have ended without removing them. A folder whose lock is held
/// (a live run), that has no lock file, or that cannot be opened is left.
/// Failures are logged, never fatal: a run does not fail for another run's
/// leftovers.
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.starts_with(PREFIX)) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = std::fs::File::open(dir.join(LOCK_FILE)) else {
            continue;
        };
        if lock.try_lock().is_err() {
            continue;
        }
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => tracing::info!(
                folder = %dir.display(),
                "removed the scratch folder of a run that was killed"
            ),
            Err(e) => tracing::warn!(
                folder = %dir.display(),
                error = %e,
                "could not remove the scratch folder of a run that was killed"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders(base: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn dir_of(scratch: &Scratch) -> PathBuf {
        match scratch.place() {
            Place::Local(dir) => dir.clone(),
            Place::Store { .. } => panic!("a local scratch"),
        }
    }

    fn name_of(scratch: &Scratch) -> String {
        dir_of(scratch)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// A killed run's folder under `base`: a lock file nobody holds, and a
    /// checkpoint.
    fn killed_folder(base: &Path, name: &str) -> PathBuf {
        let dir = base.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(LOCK_FILE), b"").unwrap();
        std::fs::write(dir.join("int_potential.parquet"), b"rows").unwrap();
        dir
    }

    #[test]
    fn a_live_folder_is_locked_and_removed_on_drop() {
        let base = tempfile::tempdir().unwrap();
        let scratch = Scratch::swept_local(base.path()).unwrap();
        let dir = dir_of(&scratch);
        assert!(
            dir.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(PREFIX)
        );
        // Another open file description cannot take the lock (flock locks
        // conflict between descriptions, even in one process).
        let other = std::fs::File::open(dir.join(LOCK_FILE)).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        // No hidden staging folder is left beside it.
        assert_eq!(
            folders(base.path()),
            [dir.file_name().unwrap().to_string_lossy()]
        );
        drop(scratch);
        assert!(!dir.exists());
        assert!(folders(base.path()).is_empty());
    }

    #[test]
    fn the_next_run_removes_only_the_folders_of_ended_runs() {
        let base = tempfile::tempdir().unwrap();
        let live = Scratch::swept_local(base.path()).unwrap();
        let killed = killed_folder(base.path(), "zafra-4242-1");
        // Left alone: a `zafra-` folder without a lock file (an older
        // version's), a hidden one (a run's folder before it is locked), a
        // file named like a folder, another tool's folder.
        std::fs::create_dir(base.path().join("zafra-7-2")).unwrap();
        killed_folder(base.path(), ".zafra-9-3");
        std::fs::write(base.path().join("zafra-binary"), b"").unwrap();
        std::fs::create_dir(base.path().join("other")).unwrap();

        let next = Scratch::swept_local(base.path()).unwrap();
        let mut expected = vec![
            ".zafra-9-3".to_string(),
            "other".to_string(),
            "zafra-7-2".to_string(),
            "zafra-binary".to_string(),
            name_of(&live),
            name_of(&next),
        ];
        expected.sort();
        assert_eq!(folders(base.path()), expected);
        assert!(!killed.exists());
        // The live run's folder and lock are untouched.
        assert!(dir_of(&live).join(LOCK_FILE).exists());
    }

    #[test]
    fn a_cluster_folder_on_a_path_is_not_swept() {
        let base = tempfile::tempdir().unwrap();
        let killed = killed_folder(base.path(), "zafra-4242-1");
        let scratch = Scratch::under(&base.path().to_string_lossy()).unwrap();
        assert!(killed.exists());
        assert!(dir_of(&scratch).join(LOCK_FILE).exists());
    }
}
