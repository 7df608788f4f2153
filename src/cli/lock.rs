//! The lock on a SQLite chain database, as Bitcoin Core locks its data directory: one process
//! writes a database at a time. A server holds it while it serves and records its address in
//! the lock file, so a command that would write (`mine`, `demo`) sends the write to that
//! server instead, whose subscribers then hear of it; commands that cannot (`reindex`,
//! `import`) and a second server are refused with the holder's address. Readers (`verify`,
//! `export`, `status`) take no lock: SQLite's WAL lets them read beside the writer.
//!
//! The lock is the operating system's (`flock`), so it ends with its process, however that ends;
//! the file `pocket.db.lock` stays and only says who held it last.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who holds a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// The command it runs (`serve`, `mine`, …).
    pub command: String,
    /// Where its API answers, once a server is listening.
    pub url: Option<String>,
}

impl Holder {
    /// This process, running `command`.
    pub fn this(command: &str) -> Self {
        Self {
            pid: std::process::id(),
            command: command.to_owned(),
            url: None,
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pocket {} (pid {})", self.command, self.pid)?;
        if let Some(url) = &self.url {
            write!(f, " at {url}")?;
        }
        Ok(())
    }
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    file: File,
}

/// What trying the lock found.
#[derive(Debug)]
pub enum Attempt {
    /// This process holds it now.
    Taken(DataLock),
    /// Another process does (`None` when it has not said who it is yet).
    Held(Option<Holder>),
}

/// The lock file of a SQLite database file.
pub fn path_for(database: &Path) -> PathBuf {
    let mut path = database.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

/// Tries to take the lock at `path` for `holder`, creating the file (and its directory).
pub fn try_take(path: &Path, holder: &Holder) -> std::io::Result<Attempt> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {
            let mut lock = DataLock { file };
            lock.record(holder)?;
            Ok(Attempt::Taken(lock))
        }
        Err(TryLockError::WouldBlock) => Ok(Attempt::Held(read_holder(file))),
        Err(TryLockError::Error(err)) => Err(err),
    }
}

/// Who holds the lock at `path` now, without taking it; `None` when nobody does (or there is
/// no lock file).
pub fn holder(path: &Path) -> std::io::Result<Option<Holder>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(read_holder(file).unwrap_or(Holder {
            pid: 0,
            command: "(starting)".to_owned(),
            url: None,
        }))),
        Err(TryLockError::Error(err)) => Err(err),
    }
}

impl DataLock {
    /// Rewrites who holds the lock (a server adds its address once it listens). Not synced to
    /// disk: the record means something only while the lock is held, and other processes read
    /// it through the page cache; after a crash nobody holds the lock.
    pub fn record(&mut self, holder: &Holder) -> std::io::Result<()> {
        let text = serde_json::to_string(holder).map_err(std::io::Error::other)?;
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())
    }
}

/// The holder a lock file names. A holder writes its line right after taking the lock, so a
/// reader that finds it half written tries again a few times.
fn read_holder(mut file: File) -> Option<Holder> {
    for _ in 0..20 {
        let mut text = String::new();
        if file.rewind().is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Ok(holder) = serde_json::from_str(&text)
        {
            return Some(holder);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_next_learns_who() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(&dir.path().join("sub/pocket.db"));
        let mut server = Holder::this("serve");
        let Attempt::Taken(mut lock) = try_take(&path, &server).unwrap() else {
            panic!("a free lock is taken");
        };
        server.url = Some("http://127.0.0.1:8080".into());
        lock.record(&server).unwrap();
        let Attempt::Held(Some(found)) = try_take(&path, &Holder::this("mine")).unwrap() else {
            panic!("a held lock is refused");
        };
        assert_eq!(found, server);
        assert_eq!(holder(&path).unwrap(), Some(server));
        drop(lock);
        assert_eq!(holder(&path).unwrap(), None);
        assert!(matches!(
            try_take(&path, &Holder::this("mine")).unwrap(),
            Attempt::Taken(_)
        ));
    }
}
