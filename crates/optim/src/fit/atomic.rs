//! Atomic file writes: a temporary file in the same directory, flushed to disk and renamed
//! over the target, so a reader sees the old file or the complete new one, never a part.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use youshi_layers::io::temp_path;

use crate::error::{OptimError, Result};

fn io_err(op: &'static str, path: &Path, source: std::io::Error) -> OptimError {
    OptimError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (through [`temp_path`]`(path)`), naming `op` in
/// errors. On failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomic(op: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let renamed = written
        .map_err(|e| io_err(op, &tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_err(op, path, e)));
    if let Err(e) = renamed {
        // Only the temporary file this call created is removed.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(path).map_err(|e| io_err(op, path, e))
}

/// Flushes the directory entry of `path` so the rename survives a crash.
#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = std::env::temp_dir().join(format!("youshi-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.txt");
        write_atomic("test write", &path, b"old").unwrap();
        // A directory where the temporary file should go makes the write fail.
        std::fs::create_dir_all(temp_path(&path)).unwrap();
        let e = write_atomic("test write", &path, b"new").unwrap_err();
        assert!(e.to_string().starts_with("test write: "), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        std::fs::remove_dir_all(&dir).ok();
    }
}
