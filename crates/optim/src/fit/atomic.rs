//! Atomic file writes: a temporary file in the same directory, flushed to disk and renamed
//! over the target, so a reader sees the old file or the complete new one, never a part.

use std::path::Path;

use crate::error::{OptimError, Result};

/// Writes `bytes` to `path` atomically (see [`youshi_tensor::fs::write_atomic`]), naming `op`
/// in errors. On failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomic(op: &'static str, path: &Path, bytes: &[u8]) -> Result<()> {
    youshi_tensor::fs::write_atomic(path, bytes).map_err(|e| OptimError::Io {
        op,
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use youshi_tensor::fs::temp_path;

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
