//! Atomic file writes, shared by every crate that saves files (checkpoints, safetensors,
//! logs, charts): the bytes go to a temporary file in the same directory, are flushed to disk,
//! and the file is renamed over the target, so a reader sees the old file or the complete new
//! one, never a partial write.
//!
//! ```
//! use youshi_tensor::fs::write_atomic;
//! let path = std::env::temp_dir().join(format!("youshi-fs-doc-{}.txt", std::process::id()));
//! write_atomic(&path, b"hello")?;
//! assert_eq!(std::fs::read(&path).unwrap(), b"hello");
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), youshi_tensor::fs::WriteError>(())
//! ```

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A failed atomic write: the file that could not be written, created, renamed or synced.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct WriteError {
    /// The file the failing step acted on (the temporary file or the target).
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

/// The temporary file [`write_atomic`] writes before renaming it over `path`: `<path>.tmp`, in
/// the same directory.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically through [`temp_path`]`(path)`, then syncs the directory
/// so the rename survives a crash.
///
/// # Errors
/// [`WriteError`] naming the file of the failing step. On failure the temporary file is
/// removed and `path` is untouched.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), WriteError> {
    let path = path.as_ref();
    let tmp = temp_path(path);
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    let written = File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(err(&tmp));
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path).map_err(err(path)));
    if let Err(e) = renamed {
        // Only the temporary file this call created is removed.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(path).map_err(err(path))
}

/// Flushes the directory entry of `path`.
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
    fn a_failed_write_leaves_the_old_file_and_names_the_temporary() {
        let dir = std::env::temp_dir().join(format!("youshi-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.txt");
        write_atomic(&path, b"old").unwrap();
        // A directory where the temporary file should go makes the write fail.
        std::fs::create_dir_all(temp_path(&path)).unwrap();
        let e = write_atomic(&path, b"new").unwrap_err();
        assert_eq!(e.path, temp_path(&path));
        assert!(e.to_string().contains("f.txt.tmp"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn temp_path_is_beside_the_target() {
        assert_eq!(
            temp_path(Path::new("a/b.safetensors")),
            Path::new("a/b.safetensors.tmp")
        );
    }
}
