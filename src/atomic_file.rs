//! Output files that are replaced atomically, and the checks that keep a program from
//! destroying files it should not touch.
//!
//! Every file this crate writes (checkpoints, pictures, the CSV outputs of `rdiff`) goes
//! through this module, under one policy:
//!
//! 1. **Validate before working** ([`validate_output`]): the parent directory exists; the
//!    target, if it exists, is a writable regular file — never a directory, a symbolic link, a
//!    FIFO, a device, a socket or a write-protected file, which are refused with an error naming
//!    the path and what it is, and never replaced — and it is not the same file (device and
//!    inode) as an input the program reads.
//! 2. **Write aside** ([`AtomicFile`]): the bytes go to a fresh temporary sibling
//!    `.<name>.<pid>.<counter>.tmp`, created with `O_CREAT | O_EXCL` ([`OpenOptions::create_new`])
//!    so it can never clobber an unrelated file, in the target's directory (so the final
//!    rename stays on one file system).
//! 3. **Publish atomically** ([`AtomicFile::commit`]): flush, `fsync`, check the target again,
//!    rename the temporary onto it, `fsync` the directory. Readers see the old file or the new
//!    one, never a mixture; a replaced file keeps its permission bits.
//! 4. **Leave nothing behind**: on every error path, and when an [`AtomicFile`] is dropped
//!    without a commit (an early `return`, a `?`, a panic unwinding), the temporary is removed
//!    and every pre-existing file is byte-identical. Only a process killed outright (SIGKILL,
//!    power loss) can leave its hidden temporary behind.
//!
//! ```
//! use riemannian_diffusion::atomic_file::AtomicFile;
//! use std::io::Write;
//!
//! let dir = std::env::temp_dir().join(format!("atomic-file-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("results.csv");
//! let mut file = AtomicFile::create(&path)?;
//! writeln!(file, "x,y").map_err(|e| file.io_error(e))?;
//! file.commit()?; // until here, `path` kept its old content (here: did not exist)
//! assert_eq!(std::fs::read_to_string(&path)?, "x,y\n");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Buffer of an [`AtomicFile`]'s writer.
const BUFFER_BYTES: usize = 1 << 16;

/// Attempts at a fresh temporary name before giving up (each taken name bumps the counter).
const TEMPORARY_ATTEMPTS: usize = 1000;

/// Longest part of the target's name copied into the temporary's name (bytes), so that the
/// temporary stays within `NAME_MAX` (255 bytes) with its prefix and suffixes.
const TEMPORARY_STEM_BYTES: usize = 160;

/// The error of an operation on `path`: [`Error::Io`] with a message of `kind`.
fn io_error(path: &Path, kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(kind, message.into()),
    }
}

/// [`Error::Io`] naming `path` around `source`.
fn wrap(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The directory that receives `path` (`.` for a bare file name).
fn parent_directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What a non-regular file is, in words, for error messages.
fn describe_non_regular(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "is a directory (expected an output file name)";
    }
    if kind.is_symlink() {
        return "is a symbolic link: refusing to replace it (name the file it points to, or \
                remove the link)";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "is a named pipe (FIFO), not a regular file: refusing to replace it";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "is a device, not a regular file: refusing to replace it";
        }
        if kind.is_socket() {
            return "is a socket, not a regular file: refusing to replace it";
        }
    }
    "is not a regular file: refusing to replace it"
}

/// The metadata of an existing output target (without following a symbolic link), `None`
/// if there is none.
///
/// # Errors
/// [`Error::Io`] naming `path` when it exists but is not a writable regular file, or cannot be
/// inspected.
fn check_target(path: &Path) -> Result<Option<Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_file() => {
            if metadata.permissions().readonly() {
                Err(io_error(
                    path,
                    ErrorKind::PermissionDenied,
                    "is write-protected: refusing to replace it (make it writable first)",
                ))
            } else {
                Ok(Some(metadata))
            }
        }
        Ok(metadata) => Err(io_error(
            path,
            ErrorKind::InvalidInput,
            describe_non_regular(&metadata),
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(wrap(path, e)),
    }
}

/// Whether two existing files are the same file (same device and inode on Unix, the same
/// canonical path elsewhere).
fn same_file(a: &Metadata, a_path: &Path, b: &Metadata, b_path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = (a_path, b_path);
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        match (std::fs::canonicalize(a_path), std::fs::canonicalize(b_path)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Checks that `path` can receive an output file, before any work is done (module docs,
/// point 1): it names a file (not `..`, not ending in `/`), its parent directory exists and
/// accepts new files (probed by creating and removing a hidden empty file, so a read-only or
/// foreign directory fails now rather than after the work), and if the target exists it is a
/// writable regular file that is not the same file as any of `inputs` (compared by device and
/// inode, so hard links and other spellings of the same path are caught). Inputs that do not
/// exist, and the name `-` (standard input), are skipped.
///
/// # Errors
/// [`Error::Io`] naming the path and what is wrong: the directory does not exist or refuses
/// new files, the target is a directory, a symbolic link, a FIFO, a device, a socket,
/// write-protected, or an input.
pub fn validate_output(path: &Path, inputs: &[&Path]) -> Result<()> {
    check_output(path, inputs)?;
    // The probe is a temporary like any other: created with `create_new`, removed on drop.
    drop(AtomicFile::create_unchecked(path)?);
    Ok(())
}

/// [`validate_output`] without the probe of the directory.
fn check_output(path: &Path, inputs: &[&Path]) -> Result<()> {
    let text = path.as_os_str();
    if text.is_empty() {
        return Err(io_error(
            path,
            ErrorKind::InvalidInput,
            "an empty output file name",
        ));
    }
    if text.as_encoded_bytes().last() == Some(&b'/') || path.file_name().is_none() {
        if path.is_dir() {
            return Err(io_error(
                path,
                ErrorKind::InvalidInput,
                "is a directory (expected an output file name)",
            ));
        }
        return Err(io_error(
            path,
            ErrorKind::InvalidInput,
            "does not name a file (it ends in '/' or '..')",
        ));
    }
    let directory = parent_directory(path);
    match std::fs::metadata(&directory) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(io_error(
                &directory,
                ErrorKind::NotFound,
                "output directory is not a directory",
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(io_error(
                &directory,
                ErrorKind::NotFound,
                "output directory does not exist (create it first)",
            ))
        }
        Err(e) => return Err(wrap(&directory, e)),
    }
    let Some(target) = check_target(path)? else {
        return Ok(());
    };
    for input in inputs {
        if input.as_os_str() == "-" {
            continue;
        }
        if let Ok(metadata) = std::fs::metadata(input) {
            if same_file(&target, path, &metadata, input) {
                return Err(io_error(
                    path,
                    ErrorKind::InvalidInput,
                    format!(
                        "is the same file as the input {}: refusing to overwrite an input \
                         (choose another output file)",
                        input.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks that no two of `outputs` are the same path (after [`validate_output`] on each, two
/// outputs written by one command would otherwise silently replace each other).
///
/// # Errors
/// [`Error::Io`] naming the repeated path.
pub fn check_distinct_outputs(outputs: &[&Path]) -> Result<()> {
    let key = |p: &Path| -> PathBuf {
        let name = p.file_name().map(OsString::from).unwrap_or_default();
        std::fs::canonicalize(parent_directory(p))
            .unwrap_or_else(|_| parent_directory(p))
            .join(name)
    };
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[..i] {
            if key(a) == key(b) {
                return Err(io_error(
                    a,
                    ErrorKind::InvalidInput,
                    "is named for two outputs of this command (give each its own file)",
                ));
            }
        }
    }
    Ok(())
}

/// A file being written aside and published atomically (module docs). Create it with
/// [`AtomicFile::create`], write through [`Write`], publish with [`AtomicFile::commit`];
/// dropping it without a commit removes the temporary and leaves the target untouched.
#[derive(Debug)]
pub struct AtomicFile {
    /// `None` once committed (or after a failure that consumed it).
    writer: Option<BufWriter<File>>,
    temporary: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Checks `path` as [`validate_output`] does (without inputs: check those with
    /// [`validate_output`] before the work) and creates a fresh temporary sibling for it.
    /// Nothing is written at `path` until [`AtomicFile::commit`].
    ///
    /// # Errors
    /// [`validate_output`]'s; [`Error::Io`] if the temporary cannot be created.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        check_output(path, &[])?;
        Self::create_unchecked(path)
    }

    /// A fresh temporary sibling of `path` (no check of the target).
    fn create_unchecked(path: &Path) -> Result<AtomicFile> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let directory = parent_directory(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut stem = name.as_str();
        while stem.len() > TEMPORARY_STEM_BYTES {
            let mut cut = TEMPORARY_STEM_BYTES;
            while !stem.is_char_boundary(cut) {
                cut -= 1;
            }
            stem = &stem[..cut];
        }
        let pid = std::process::id();
        for _ in 0..TEMPORARY_ATTEMPTS {
            let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
            let temporary = directory.join(format!(".{stem}.{pid}.{counter}.tmp"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
            {
                Ok(file) => {
                    return Ok(AtomicFile {
                        writer: Some(BufWriter::with_capacity(BUFFER_BYTES, file)),
                        temporary,
                        target: path.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(io_error(
                        &directory,
                        e.kind(),
                        format!("cannot create a file in the output directory: {e}"),
                    ))
                }
            }
        }
        Err(io_error(
            &directory,
            ErrorKind::AlreadyExists,
            format!("no free temporary file name for {name} after {TEMPORARY_ATTEMPTS} attempts"),
        ))
    }

    /// The path this file will be published at.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file's path (hidden, in the target's directory).
    pub fn temporary(&self) -> &Path {
        &self.temporary
    }

    /// [`Error::Io`] naming the target around a write error (for `map_err` after a write).
    pub fn io_error(&self, source: std::io::Error) -> Error {
        wrap(&self.target, source)
    }

    /// Flushes and syncs the temporary; on failure removes it.
    fn finish(&mut self) -> Result<()> {
        let Some(writer) = self.writer.take() else {
            return Err(io_error(
                &self.target,
                ErrorKind::Other,
                "the output was already committed",
            ));
        };
        let synced = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all());
        synced.map_err(|e| self.io_error(e))
    }

    /// Publishes the file: flush, `fsync`, check the target again (it may have been replaced
    /// by a directory, a link or a FIFO while the work ran), give the temporary the target's
    /// permission bits, rename it onto the target, `fsync` the directory.
    ///
    /// # Errors
    /// [`Error::Io`] naming the target; the temporary is removed and the target is untouched.
    pub fn commit(mut self) -> Result<()> {
        self.finish()?;
        let existing = check_target(&self.target)?;
        if let Some(metadata) = existing {
            // Best effort: a replaced file keeps its mode (a failure leaves the default one).
            let _ = std::fs::set_permissions(&self.temporary, metadata.permissions());
        }
        std::fs::rename(&self.temporary, &self.target).map_err(|e| self.io_error(e))?;
        self.published();
        Ok(())
    }

    /// Publishes the file only if nothing exists at the target yet (a hard link, which fails
    /// if the name is taken, then the temporary is removed; where hard links are not
    /// supported, a check followed by a rename).
    ///
    /// # Errors
    /// [`Error::Io`] of kind [`ErrorKind::AlreadyExists`] when the target exists (it is left
    /// untouched), or another [`Error::Io`]; the temporary is removed in every case.
    pub fn commit_new(mut self) -> Result<()> {
        self.finish()?;
        let exists = || {
            io_error(
                &self.target,
                ErrorKind::AlreadyExists,
                "already exists and is left unchanged",
            )
        };
        match std::fs::hard_link(&self.temporary, &self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(exists()),
            Err(_) => {
                if std::fs::symlink_metadata(&self.target).is_ok() {
                    return Err(exists());
                }
                std::fs::rename(&self.temporary, &self.target).map_err(|e| self.io_error(e))?;
            }
        }
        self.published();
        Ok(())
    }

    /// After a successful publication: the temporary name is removed (a no-op after a rename)
    /// and the directory synced so that the rename is durable.
    fn published(&mut self) {
        let _ = std::fs::remove_file(&self.temporary);
        self.temporary = PathBuf::new();
        // Opening a directory to sync it is a Unix facility; elsewhere this is a no-op.
        if let Ok(directory) = File::open(parent_directory(&self.target)) {
            let _ = directory.sync_all();
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match &mut self.writer {
            Some(w) => w.write(bytes),
            None => Err(std::io::Error::other("output committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        drop(self.writer.take());
        if !self.temporary.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Writes `bytes` to `path` atomically: [`AtomicFile::create`], write, [`AtomicFile::commit`].
///
/// # Errors
/// [`Error::Io`] naming `path` on any failure; `path` is then untouched and no temporary is
/// left behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| file.io_error(e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory, removed on drop.
    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "rdiff-atomic-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }

        fn entries(&self) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn commit_replaces_the_target_and_leaves_no_temporary() {
        let dir = Dir::new("commit");
        let path = dir.0.join("out.csv");
        std::fs::write(&path, "old\n").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        assert!(file.temporary().exists());
        file.write_all(b"new\n").unwrap();
        // Not visible before the commit.
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
        assert_eq!(dir.entries(), ["out.csv"]);
        // A new file is created the same way.
        write_atomically(&dir.0.join("fresh.png"), b"png").unwrap();
        assert_eq!(dir.entries(), ["fresh.png", "out.csv"]);
    }

    #[test]
    fn drop_without_commit_keeps_the_old_file_and_removes_the_temporary() {
        let dir = Dir::new("drop");
        let path = dir.0.join("keep.csv");
        std::fs::write(&path, "precious\n").unwrap();
        {
            let mut file = AtomicFile::create(&path).unwrap();
            file.write_all(&[b'x'; 200_000]).unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"precious\n");
        assert_eq!(dir.entries(), ["keep.csv"]);
        // A panic while writing unwinds through the guard too.
        let result = std::panic::catch_unwind(|| {
            let mut file = AtomicFile::create(&path).unwrap();
            file.write_all(b"half").unwrap();
            panic!("interrupted");
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"precious\n");
        assert_eq!(dir.entries(), ["keep.csv"]);
    }

    #[test]
    fn a_failed_commit_leaves_no_temporary_and_the_target_untouched() {
        let dir = Dir::new("fail");
        let path = dir.0.join("out.csv");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"data").unwrap();
        // The target turns into a directory while the work runs: the commit refuses it.
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), "x").unwrap();
        let m = message(file.commit().unwrap_err());
        assert!(m.contains("is a directory"), "{m}");
        assert_eq!(dir.entries(), ["out.csv"]);
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"x");
        // The rename itself fails (the directory holding the temporary is gone): no temporary.
        let sub = dir.0.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let target = sub.join("out.csv");
        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"data").unwrap();
        let temporary = file.temporary().to_path_buf();
        std::fs::remove_file(&temporary).unwrap();
        assert!(file.commit().is_err());
        assert!(!temporary.exists() && !target.exists());
    }

    #[test]
    fn commit_new_never_replaces_an_existing_file() {
        let dir = Dir::new("new");
        let path = dir.0.join("results.csv");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"first").unwrap();
        file.commit_new().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"second").unwrap();
        let e = file.commit_new().unwrap_err();
        assert!(
            matches!(&e, Error::Io { source, .. } if source.kind() == ErrorKind::AlreadyExists)
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(dir.entries(), ["results.csv"]);
    }

    #[test]
    fn temporaries_never_clobber_unrelated_files() {
        let dir = Dir::new("clobber");
        let path = dir.0.join("m.ckpt");
        // Files with the names an older writer used, and likely temporary names of this one.
        let mut unrelated = vec!["m.ckpt.tmp".to_string()];
        for k in 0..3 {
            unrelated.push(format!(".m.ckpt.{}.{k}.tmp", std::process::id()));
        }
        for name in &unrelated {
            std::fs::write(dir.0.join(name), name).unwrap();
        }
        for _ in 0..4 {
            write_atomically(&path, b"model").unwrap();
        }
        for name in &unrelated {
            assert_eq!(std::fs::read_to_string(dir.0.join(name)).unwrap(), *name);
        }
        assert_eq!(dir.entries().len(), unrelated.len() + 1);
        // A very long name still gets a temporary within NAME_MAX.
        let long = dir.0.join(format!("{}.csv", "é".repeat(120)));
        write_atomically(&long, b"x").unwrap();
        assert!(long.exists());
    }

    #[cfg(unix)]
    #[test]
    fn replaced_files_keep_their_permissions_and_write_protected_ones_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = Dir::new("mode");
        let path = dir.0.join("script.csv");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"new").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let m = message(write_atomically(&path, b"newer").unwrap_err());
        assert!(m.contains("write-protected"), "{m}");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(dir.entries(), ["script.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn non_regular_targets_are_refused_and_untouched() {
        let dir = Dir::new("special");
        let real = dir.0.join("real.csv");
        std::fs::write(&real, "real").unwrap();
        let link = dir.0.join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let m = message(write_atomically(&link, b"x").unwrap_err());
        assert!(m.contains("link.csv") && m.contains("symbolic link"), "{m}");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"real");
        let fifo = dir.0.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let m = message(write_atomically(&fifo, b"x").unwrap_err());
            assert!(m.contains("named pipe"), "{m}");
            use std::os::unix::fs::FileTypeExt;
            assert!(std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo());
        }
        let m = message(write_atomically(Path::new("/dev/null"), b"x").unwrap_err());
        assert!(m.contains("device"), "{m}");
        let m = message(write_atomically(&dir.0, b"x").unwrap_err());
        assert!(m.contains("is a directory"), "{m}");
        let m = message(write_atomically(&dir.0.join("nowhere/x.csv"), b"x").unwrap_err());
        assert!(m.contains("output directory does not exist"), "{m}");
        let m = message(validate_output(Path::new(""), &[]).unwrap_err());
        assert!(m.contains("empty"), "{m}");
        let mut entries = dir.entries();
        entries.retain(|e| e != "pipe");
        assert_eq!(entries, ["link.csv", "real.csv"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_refusing_new_files_fails_validation() {
        use std::os::unix::fs::PermissionsExt;
        let dir = Dir::new("readonly");
        let locked = dir.0.join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Privileged users (root) write anyway: nothing to test then.
        let privileged = std::fs::write(locked.join("probe"), "").is_ok();
        if !privileged {
            let m = message(validate_output(&locked.join("out.csv"), &[]).unwrap_err());
            assert!(
                m.contains("cannot create a file in the output directory"),
                "{m}"
            );
        }
        let _ = std::fs::remove_file(locked.join("probe"));
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        // The probe of a successful validation leaves nothing behind.
        validate_output(&locked.join("out.csv"), &[]).unwrap();
        assert!(std::fs::read_dir(&locked).unwrap().next().is_none());
    }

    #[test]
    fn an_input_is_never_an_output() {
        let dir = Dir::new("input");
        let input = dir.0.join("data.csv");
        std::fs::write(&input, "1,2\n").unwrap();
        // The same file spelled differently, and through a hard link.
        let spelled = dir.0.join(".").join("data.csv");
        let m = message(validate_output(&spelled, &[&input]).unwrap_err());
        assert!(m.contains("same file as the input"), "{m}");
        let hard = dir.0.join("alias.csv");
        std::fs::hard_link(&input, &hard).unwrap();
        assert!(validate_output(&hard, &[Path::new("-"), &input]).is_err());
        // Another file, a missing input, standard input: fine.
        let other = dir.0.join("other.csv");
        std::fs::write(&other, "x").unwrap();
        validate_output(&other, &[&input, &dir.0.join("missing"), Path::new("-")]).unwrap();
        validate_output(&dir.0.join("new.csv"), &[&input]).unwrap();
        let m = message(check_distinct_outputs(&[&other, &input, &spelled]).unwrap_err());
        assert!(m.contains("two outputs"), "{m}");
        check_distinct_outputs(&[&other, &input]).unwrap();
        assert_eq!(std::fs::read(&input).unwrap(), b"1,2\n");
    }
}
