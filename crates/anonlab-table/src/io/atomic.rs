//! Write-to-temp-then-rename, so readers never see a partial file.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// A file that appears at its final path only when [`AtomicFile::commit`] is
/// called; dropped without commit, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// Creates a temporary file in the same directory as `path` (same file system, so rename is atomic).
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::new(
                crate::ErrorKind::Io,
                format!("cannot write output: directory '{}' does not exist", dir.display()),
            )
            .in_file(path));
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".anonlab-").suffix(".tmp");
        // A temporary file is private (0600); the finished output should get the
        // permissions any new file gets here (0666 less the umask), like other tools' output.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, "create a temporary output file", &e))?;
        Ok(AtomicFile { path: path.to_path_buf(), writer: BufWriter::with_capacity(1 << 16, tmp) })
    }

    /// The buffered writer to fill.
    pub fn writer(&mut self) -> &mut BufWriter<NamedTempFile> {
        &mut self.writer
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and renames the temporary file onto the final path.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let tmp = self.writer.into_inner().map_err(|e| Error::io(&path, "write", e.error()))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(&path, "sync", &e))?;
        tmp.persist(&path).map_err(|e| Error::io(&path, "rename the finished output into place", &e.error))?;
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.writer().write_all(bytes).map_err(|e| Error::io(path, "write", &e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.writer().write_all(b"partial").unwrap();
        }
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_bytes(&path, b"done").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"done");
    }

    #[cfg(unix)]
    #[test]
    fn finished_file_gets_the_permissions_of_a_plainly_created_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = dir.path().join("plain.csv");
        std::fs::File::create(&plain).unwrap();
        let path = dir.path().join("out.csv");
        write_bytes(&path, b"x").unwrap();
        assert_eq!(mode(&path), mode(&plain));
    }
}
