//! The checkpoint file format of score networks.
//!
//! # Format (version 2), all integers little-endian
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic [`CHECKPOINT_MAGIC`] = `RDIFFNN` followed by a zero byte |
//! | 4 | `u32` format version ([`CHECKPOINT_VERSION`]) |
//! | 4 | `u32` header length `H` (at most 1 MiB) |
//! | `H` | UTF-8 header, lines `key=value\n`: `manifold` (the [`ManifoldSpec`] text, e.g. `so:3*sphere:2`), the architecture (`ambient_dim`, `hidden_width`, `hidden_layers`, `activation`, `sigma_encoding`, `input_encoding` as `kind:len` blocks, e.g. `angles:1,embedded:3`), then free metadata as `meta.<key>=value` |
//! | 8 | `u64` parameter count `P` |
//! | 1 | `1` if EMA parameters follow the parameters, else `0` |
//! | `8P` | parameters as `f64` (layout of [`ScoreNet`]) |
//! | `8P` | EMA parameters, only if the flag is `1` |
//! | 8 | `u64` FNV-1a (64-bit) hash of every preceding byte |
//!
//! Version 1 (written before the manifold was stored as a typed spec) is refused with a message
//! saying so: retrain, or rewrite the file with the current version.
//!
//! FNV-1a detects truncation, bit flips and partial writes (every byte enters the hash); it is
//! not a cryptographic authentication. Files are written atomically ([`Checkpoint::save`]), so
//! a crash leaves either the old file or the new one, never a mixture.

use super::config::ScoreNetConfig;
use super::network::ScoreNet;
use crate::error::{Error, Result};
use crate::manifold::{Manifold, ManifoldSpec};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first eight bytes of every checkpoint.
pub const CHECKPOINT_MAGIC: [u8; 8] = *b"RDIFFNN\0";
/// The format version written (and the only one read) by this build.
pub const CHECKPOINT_VERSION: u32 = 2;
const MAX_HEADER: usize = 1 << 20;
const PREAMBLE: usize = 16;

/// A saved score network: architecture, parameters, optional EMA parameters and free metadata
/// (e.g. the noise schedule and the number of training steps).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The manifold the network was trained on ([`Manifold::spec`]); rebuild it with
    /// [`crate::registry::Registry::manifold`].
    pub manifold: ManifoldSpec,
    /// The architecture.
    pub config: ScoreNetConfig,
    /// The trained parameters.
    pub params: Vec<f64>,
    /// The exponential moving average of the parameters, if saved.
    pub ema_params: Option<Vec<f64>>,
    /// Free `(key, value)` pairs; keys without `=` or line breaks, values without line breaks.
    pub metadata: Vec<(String, String)>,
}

fn corrupt(path: &str, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_string(),
        message: message.into(),
    }
}

/// FNV-1a, 64-bit (Fowler–Noll–Vo; offset basis 0xcbf29ce484222325, prime 0x100000001b3).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl Checkpoint {
    /// A checkpoint of `network`, with optional EMA parameters and metadata.
    ///
    /// # Panics
    /// If `ema_params` has another length than the network's parameters.
    pub fn from_network(
        network: &ScoreNet,
        ema_params: Option<&[f64]>,
        metadata: Vec<(String, String)>,
    ) -> Self {
        if let Some(e) = ema_params {
            assert_eq!(
                e.len(),
                network.param_count(),
                "Checkpoint::from_network: EMA length"
            );
        }
        Checkpoint {
            manifold: crate::score::ScoreField::manifold(network).spec(),
            config: network.config().clone(),
            params: network.params().to_vec(),
            ema_params: ema_params.map(<[f64]>::to_vec),
            metadata,
        }
    }

    /// The value of a metadata key.
    pub fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Serialises to the version-1 byte layout (module docs).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a metadata key or value that cannot be stored (line
    /// breaks, `=` in a key), or parameter vectors of the wrong length.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let count = self.config.param_count();
        if self.params.len() != count {
            return Err(Error::DimensionMismatch {
                what: "checkpoint parameters",
                expected: count,
                found: self.params.len(),
            });
        }
        if let Some(e) = &self.ema_params {
            if e.len() != count {
                return Err(Error::DimensionMismatch {
                    what: "checkpoint EMA parameters",
                    expected: count,
                    found: e.len(),
                });
            }
        }
        let mut header = String::new();
        header.push_str(&format!("manifold={}\n", self.manifold));
        for (k, v) in self.config.to_header_lines() {
            header.push_str(&format!("{k}={v}\n"));
        }
        for (k, v) in &self.metadata {
            if k.is_empty() || k.contains(['=', '\n']) || v.contains('\n') {
                return Err(Error::invalid(
                    "metadata",
                    format!("{k:?}={v:?}"),
                    "a non-empty key without '=' or line breaks and a value without line breaks",
                ));
            }
            header.push_str(&format!("meta.{k}={v}\n"));
        }
        if header.len() > MAX_HEADER {
            return Err(Error::invalid(
                "metadata",
                header.len(),
                format!("a header of at most {MAX_HEADER} bytes"),
            ));
        }
        let ema_len = self.ema_params.as_ref().map_or(0, Vec::len);
        let mut bytes = Vec::with_capacity(PREAMBLE + header.len() + 17 + 8 * (count + ema_len));
        bytes.extend_from_slice(&CHECKPOINT_MAGIC);
        bytes.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&(count as u64).to_le_bytes());
        bytes.push(u8::from(self.ema_params.is_some()));
        for v in self.params.iter().chain(self.ema_params.iter().flatten()) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let hash = fnv1a64(&bytes);
        bytes.extend_from_slice(&hash.to_le_bytes());
        Ok(bytes)
    }

    /// Parses the bytes of a checkpoint; `source` names the file in error messages.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] saying what is wrong: not a checkpoint (magic), unsupported
    /// version, truncated or over-long file, checksum mismatch, malformed header, parameter
    /// count inconsistent with the architecture, non-finite parameters.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self> {
        let err = |m: String| corrupt(source, m);
        if bytes.len() < PREAMBLE {
            return Err(err(format!(
                "file is {} bytes, shorter than the {PREAMBLE}-byte preamble (truncated or empty)",
                bytes.len()
            )));
        }
        if bytes[..8] != CHECKPOINT_MAGIC {
            return Err(err(format!(
                "not a riemannian-diffusion network checkpoint (first bytes {:02x?}, expected {:02x?})",
                &bytes[..8],
                CHECKPOINT_MAGIC
            )));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version == 1 {
            return Err(err(format!(
                "format version 1 (written before manifolds were stored as typed specs) is not \
                 supported by this build, which reads version {CHECKPOINT_VERSION}: retrain the model"
            )));
        }
        if version != CHECKPOINT_VERSION {
            return Err(err(format!(
                "format version {version} is not supported (this build reads version {CHECKPOINT_VERSION})"
            )));
        }
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
        if header_len > MAX_HEADER {
            return Err(err(format!(
                "header length {header_len} exceeds {MAX_HEADER} bytes (corrupt file)"
            )));
        }
        let fixed = PREAMBLE + header_len + 9;
        if bytes.len() < fixed + 8 {
            return Err(err(format!(
                "truncated: {} bytes, but the header alone needs {}",
                bytes.len(),
                fixed + 8
            )));
        }
        let count = u64::from_le_bytes(bytes[fixed - 9..fixed - 1].try_into().expect("8 bytes"));
        let has_ema = match bytes[fixed - 1] {
            0 => false,
            1 => true,
            other => {
                return Err(err(format!(
                    "EMA flag is {other}, expected 0 or 1 (corrupt file)"
                )))
            }
        };
        let vectors = if has_ema { 2 } else { 1 };
        let expected = (count as u128) * 8 * vectors + fixed as u128 + 8;
        if (bytes.len() as u128) != expected {
            let what = if (bytes.len() as u128) < expected {
                "truncated"
            } else {
                "has trailing bytes"
            };
            return Err(err(format!(
                "{what}: {} bytes, expected {expected} for {count} parameters{}",
                bytes.len(),
                if has_ema { " plus EMA" } else { "" }
            )));
        }
        let body = &bytes[..bytes.len() - 8];
        let stored = u64::from_le_bytes(bytes[bytes.len() - 8..].try_into().expect("8 bytes"));
        let actual = fnv1a64(body);
        if stored != actual {
            return Err(err(format!(
                "checksum mismatch (stored {stored:016x}, computed {actual:016x}): the file is corrupt"
            )));
        }
        let header = std::str::from_utf8(&bytes[PREAMBLE..PREAMBLE + header_len])
            .map_err(|e| err(format!("header is not UTF-8: {e}")))?;
        let mut fields = Vec::new();
        for (i, line) in header.lines().enumerate() {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| err(format!("header line {} {line:?} is not key=value", i + 1)))?;
            fields.push((k.to_string(), v.to_string()));
        }
        let get = |key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let manifold_text =
            get("manifold").ok_or_else(|| err("header lacks the field \"manifold\"".into()))?;
        // Any well-formed user family is accepted here; the registry that rebuilds the
        // manifold refuses families it does not know.
        let manifold = ManifoldSpec::parse_with(&manifold_text, |_| true)
            .map_err(|e| err(format!("header field manifold: {e}")))?;
        let config = ScoreNetConfig::from_header(get).map_err(err)?;
        if config.param_count() as u64 != count {
            return Err(err(format!(
                "parameter count {count} does not match the architecture ({config}: {} parameters)",
                config.param_count()
            )));
        }
        let count = count as usize;
        let start = fixed;
        let read = |offset: usize| -> Vec<f64> {
            bytes[offset..offset + 8 * count]
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect()
        };
        let params = read(start);
        let ema_params = has_ema.then(|| read(start + 8 * count));
        for (name, v) in [
            ("parameters", Some(&params)),
            ("EMA parameters", ema_params.as_ref()),
        ] {
            if let Some(i) = v.and_then(|v| v.iter().position(|p| !p.is_finite())) {
                return Err(err(format!("{name} entry {i} is not finite")));
            }
        }
        let metadata = fields
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("meta.").map(|k| (k.to_string(), v.clone())))
            .collect();
        Ok(Checkpoint {
            manifold,
            config,
            params,
            ema_params,
            metadata,
        })
    }

    /// Writes the checkpoint atomically: to `<path>.tmp` in the same directory, `fsync`, then
    /// rename over `path` and `fsync` the directory (so the rename itself is durable).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path; [`Checkpoint::to_bytes`]'s errors.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        let mut tmp_name = path.file_name().map(|n| n.to_os_string()).ok_or_else(|| {
            Error::invalid(
                "path",
                path.display(),
                "a file path (not a directory or empty)",
            )
        })?;
        tmp_name.push(".tmp");
        let tmp: PathBuf = path.with_file_name(tmp_name);
        let io = |p: &Path, source: std::io::Error| Error::Io {
            path: p.display().to_string(),
            source,
        };
        {
            let mut file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
            file.write_all(&bytes).map_err(|e| io(&tmp, e))?;
            file.sync_all().map_err(|e| io(&tmp, e))?;
        }
        fs::rename(&tmp, path).map_err(|e| io(path, e))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Durability of the rename; opening a directory for sync is a Unix facility.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads and validates a checkpoint file.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Checkpoint`] as in
    /// [`Checkpoint::from_bytes`].
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    fn check_manifold(&self, manifold: &dyn Manifold, source: &str) -> Result<()> {
        if manifold.spec() != self.manifold {
            return Err(corrupt(
                source,
                format!(
                    "trained on {}, but the model is for {}",
                    self.manifold,
                    manifold.spec()
                ),
            ));
        }
        Ok(())
    }

    /// The network with the saved (non-averaged) parameters, on `manifold`.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] if `manifold.spec()` differs from the saved manifold.
    pub fn network(&self, manifold: Arc<dyn Manifold>) -> Result<ScoreNet> {
        self.check_manifold(manifold.as_ref(), "(in memory)")?;
        ScoreNet::from_params(manifold, self.config.clone(), self.params.clone())
    }

    /// The network with the EMA parameters if saved, else the plain parameters.
    ///
    /// # Errors
    /// As [`Checkpoint::network`].
    pub fn ema_network(&self, manifold: Arc<dyn Manifold>) -> Result<ScoreNet> {
        self.check_manifold(manifold.as_ref(), "(in memory)")?;
        let params = self
            .ema_params
            .clone()
            .unwrap_or_else(|| self.params.clone());
        ScoreNet::from_params(manifold, self.config.clone(), params)
    }
}

impl ScoreNet {
    /// Saves this network (and optional EMA parameters, metadata) atomically to `path`.
    ///
    /// # Errors
    /// As [`Checkpoint::save`].
    pub fn save(
        &self,
        path: &Path,
        ema_params: Option<&[f64]>,
        metadata: Vec<(String, String)>,
    ) -> Result<()> {
        Checkpoint::from_network(self, ema_params, metadata).save(path)
    }

    /// Loads the parameters saved in `path` (the EMA ones when `use_ema` and present) into this
    /// network, after checking that the file holds the same architecture and manifold.
    ///
    /// # Errors
    /// As [`Checkpoint::load`]; [`Error::Checkpoint`] naming both architectures if they differ.
    pub fn load_params(&mut self, path: &Path, use_ema: bool) -> Result<()> {
        let checkpoint = Checkpoint::load(path)?;
        let source = path.display().to_string();
        if checkpoint.config != *self.config() {
            return Err(corrupt(
                &source,
                format!(
                    "architecture mismatch: the file holds {}, the model is {}",
                    checkpoint.config,
                    self.config()
                ),
            ));
        }
        checkpoint.check_manifold(crate::score::ScoreField::manifold(self), &source)?;
        let params = match (&checkpoint.ema_params, use_ema) {
            (Some(e), true) => e,
            _ => &checkpoint.params,
        };
        self.set_params(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::Sphere;
    use crate::nn::{Activation, InputEncoding, SigmaEncoding};

    fn small_net(width: usize, seed: u64) -> ScoreNet {
        let m: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
        let config = ScoreNetConfig {
            ambient_dim: 3,
            hidden_width: width,
            hidden_layers: 2,
            activation: Activation::Silu,
            sigma_encoding: SigmaEncoding::LogSinusoidal { frequencies: 2 },
            input_encoding: InputEncoding::ambient(3),
        };
        ScoreNet::new(m, config, seed).unwrap()
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rdiff-nn-checkpoint-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn message(e: Error) -> String {
        match e {
            Error::Checkpoint { message, .. } => message,
            other => panic!("expected Error::Checkpoint, got {other:?}"),
        }
    }

    #[test]
    fn save_load_round_trip_is_bit_exact_and_atomic() {
        let net = small_net(8, 1);
        let ema: Vec<f64> = net.params().iter().map(|p| 0.5 * p).collect();
        let path = temp_path("round_trip.ckpt");
        let meta = vec![("sigma_min".to_string(), "0.001".to_string())];
        net.save(&path, Some(&ema), meta.clone()).unwrap();
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        assert!(!Path::new(&tmp).exists(), "temporary file left behind");
        let c = Checkpoint::load(&path).unwrap();
        assert_eq!(c.params, net.params());
        assert_eq!(c.ema_params.as_deref(), Some(&ema[..]));
        assert_eq!(c.metadata, meta);
        assert_eq!(c.metadata_value("sigma_min"), Some("0.001"));
        let mut other = small_net(8, 2);
        other.load_params(&path, true).unwrap();
        assert_eq!(other.params(), &ema[..]);
        other.load_params(&path, false).unwrap();
        assert_eq!(other.params(), net.params());
        fs::remove_file(&path).unwrap();
    }

    #[test]
    fn damaged_files_are_rejected_with_clear_messages() {
        let net = small_net(8, 3);
        let bytes = Checkpoint::from_network(&net, None, vec![])
            .to_bytes()
            .unwrap();
        // Every proper prefix is rejected (never a panic).
        for len in [0, 5, 15, 16, 40, bytes.len() / 2, bytes.len() - 1] {
            let m = message(Checkpoint::from_bytes(&bytes[..len], "x").unwrap_err());
            assert!(
                m.contains("truncated") || m.contains("shorter"),
                "len {len}: {m}"
            );
        }
        // A flipped bit anywhere in the parameters is caught by the checksum.
        let mut flipped = bytes.clone();
        let i = bytes.len() - 20;
        flipped[i] ^= 0x10;
        assert!(message(Checkpoint::from_bytes(&flipped, "x").unwrap_err()).contains("checksum"));
        let mut magic = bytes.clone();
        magic[0] = b'X';
        assert!(message(Checkpoint::from_bytes(&magic, "x").unwrap_err()).contains("not a"));
        let mut version = bytes.clone();
        version[8] = 9;
        assert!(message(Checkpoint::from_bytes(&version, "x").unwrap_err()).contains("version 9"));
        let mut long = bytes.clone();
        long.push(0);
        assert!(message(Checkpoint::from_bytes(&long, "x").unwrap_err()).contains("trailing"));
        // Arbitrary garbage of every small length never panics.
        for len in 0..64 {
            let garbage: Vec<u8> = (0..len).map(|k| (k * 37 + 11) as u8).collect();
            assert!(Checkpoint::from_bytes(&garbage, "x").is_err());
        }
    }

    #[test]
    fn other_architecture_and_manifold_are_rejected() {
        let path = temp_path("arch.ckpt");
        small_net(8, 4).save(&path, None, vec![]).unwrap();
        let mut wider = small_net(16, 4);
        let m = message(wider.load_params(&path, false).unwrap_err());
        assert!(
            m.contains("architecture mismatch") && m.contains("hidden_width=8"),
            "{m}"
        );
        let c = Checkpoint::load(&path).unwrap();
        let circle: Arc<dyn Manifold> = Arc::new(Sphere::new(1).unwrap());
        assert!(message(c.network(circle).unwrap_err()).contains("sphere:2"));
        let missing = Checkpoint::load(&temp_path("does-not-exist.ckpt")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
        fs::remove_file(&path).unwrap();
    }
}
