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
use crate::limits::{self, MAX_CHECKPOINT_BYTES};
use crate::manifold::{CoordinateKind, Manifold, ManifoldSpec};
use std::fs::File;
use std::io::Read;
use std::path::Path;
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

/// Length in bytes of a checkpoint file with a header of `header_len` bytes and `count`
/// parameters (twice with `has_ema`), `None` on overflow.
fn file_len(header_len: usize, count: u64, has_ema: bool) -> Option<u64> {
    let vectors = if has_ema { 2 } else { 1 };
    count
        .checked_mul(8 * vectors)?
        .checked_add((PREAMBLE + header_len + 9 + 8) as u64)
}

/// The header length announced by a complete, well-formed preamble (magic, the supported
/// version, a header length within [`MAX_HEADER`]); `None` otherwise.
fn preamble_header_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() != PREAMBLE || bytes[..8] != CHECKPOINT_MAGIC {
        return None;
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().ok()?);
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().ok()?) as usize;
    (version == CHECKPOINT_VERSION && header_len <= MAX_HEADER).then_some(header_len)
}

/// Checks the size fields of a header before the architecture is built from them: each must
/// be an integer within the resource policy ([`crate::limits`]: ambient dimension, hidden
/// width, hidden layers), so that a crafted header cannot ask for an absurd network.
/// `Err` holds a message naming the field.
fn check_architecture_fields(
    get: &impl Fn(&str) -> Option<String>,
) -> std::result::Result<(), String> {
    for (key, max) in [
        ("ambient_dim", limits::MAX_AMBIENT_DIM),
        ("hidden_width", limits::MAX_HIDDEN_WIDTH),
        ("hidden_layers", limits::MAX_HIDDEN_LAYERS),
    ] {
        let Some(text) = get(key) else {
            return Err(format!("header lacks the field {key:?}"));
        };
        let value: usize = text
            .parse()
            .map_err(|_| format!("header field {key} = {text:?} is not an integer"))?;
        if value == 0 || value > max {
            return Err(format!(
                "header field {key} = {value} is outside [1, {max}] (the resource policy's bound)"
            ));
        }
    }
    if let Some(text) = get("input_encoding") {
        // Block lengths `kind:len`: their sum is the ambient dimension; refuse sums that
        // overflow before the encoding is built.
        let mut total: usize = 0;
        for part in text.split(',') {
            let len = part
                .split_once(':')
                .and_then(|(_, len)| len.parse::<usize>().ok())
                .unwrap_or(0);
            total = total
                .checked_add(len)
                .filter(|&t| t <= limits::MAX_AMBIENT_DIM)
                .ok_or_else(|| {
                    format!(
                        "header field input_encoding = {text:?} covers more than {} coordinates",
                        limits::MAX_AMBIENT_DIM
                    )
                })?;
        }
    }
    Ok(())
}

/// The parameter count of `config` in checked arithmetic (`None` on overflow), computed without
/// allocating: `Σ (fan_in + 1)·fan_out` over the layers of [`ScoreNetConfig::layer_shapes`].
fn checked_param_count(config: &ScoreNetConfig) -> Option<usize> {
    let features = config
        .input_encoding
        .blocks()
        .iter()
        .try_fold(0usize, |sum, b| {
            let features = match b.kind {
                CoordinateKind::Embedded => b.len,
                CoordinateKind::Angles => b.len.checked_mul(2)?,
            };
            sum.checked_add(features)
        })?
        .checked_add(config.sigma_encoding.feature_count())?;
    let (w, n) = (config.hidden_width, config.ambient_dim);
    let first = features.checked_add(1)?.checked_mul(w)?;
    let hidden = w
        .checked_add(1)?
        .checked_mul(w)?
        .checked_mul(config.hidden_layers.checked_sub(1)?)?;
    let last = w.checked_add(1)?.checked_mul(n)?;
    first.checked_add(hidden)?.checked_add(last)
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

    /// Serialises to the byte layout of the module docs (version [`CHECKPOINT_VERSION`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a metadata key or value that cannot be stored (line
    /// breaks, `=` in a key); [`Error::DimensionMismatch`] for parameter vectors of the wrong
    /// length; [`Error::LimitExceeded`] for a file larger than [`MAX_CHECKPOINT_BYTES`] (which
    /// [`Checkpoint::load`] would refuse).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let count = checked_param_count(&self.config).ok_or_else(|| Error::LimitExceeded {
            name: "checkpoint parameters",
            value: format!("the architecture {}", self.config),
            limit: format!("{} bytes", MAX_CHECKPOINT_BYTES),
            reason: "its parameter count overflows",
        })?;
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
        let total = file_len(header.len(), count as u64, self.ema_params.is_some())
            .filter(|&total| total <= MAX_CHECKPOINT_BYTES)
            .ok_or_else(|| Error::LimitExceeded {
                name: "checkpoint file",
                value: format!(
                    "{count} parameters{}",
                    if self.ema_params.is_some() {
                        " plus EMA"
                    } else {
                        ""
                    }
                ),
                limit: format!("{MAX_CHECKPOINT_BYTES} bytes"),
                reason: "the largest checkpoint Checkpoint::load reads",
            })?;
        let mut bytes = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
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
        let expected = file_len(header_len, count, has_ema);
        if expected != Some(bytes.len() as u64) {
            let what = match expected {
                Some(e) if (bytes.len() as u64) > e => "has trailing bytes",
                _ => "truncated",
            };
            let expected = expected.map_or_else(|| "more than 2^64".to_string(), |e| e.to_string());
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
        check_architecture_fields(&get).map_err(err)?;
        let config = ScoreNetConfig::from_header(get).map_err(err)?;
        let architecture_count = checked_param_count(&config);
        if architecture_count.map(|c| c as u64) != Some(count) {
            return Err(err(format!(
                "parameter count {count} does not match the architecture ({config}: {} parameters)",
                architecture_count.map_or_else(|| "too many".to_string(), |c| c.to_string())
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

    /// Writes the checkpoint atomically ([`crate::atomic_file`]): the target is validated
    /// (its directory exists; it is not a directory, link, FIFO or device), the bytes go to a
    /// unique temporary sibling, which is synced and renamed onto `path`. On failure `path`
    /// is untouched and no temporary is left behind.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path; [`Checkpoint::to_bytes`]'s errors.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::atomic_file::validate_output(path, &[])?;
        let bytes = self.to_bytes()?;
        crate::atomic_file::write_atomically(path, &bytes)
    }

    /// Reads and validates a checkpoint file, reading no more than the file's own header
    /// announces and never more than [`MAX_CHECKPOINT_BYTES`]: a regular file larger than
    /// that is refused before reading, and a stream (FIFO, device) is read piece by piece —
    /// the preamble, the header, then exactly the parameter bytes its count announces — so
    /// that garbage such as `/dev/zero` is refused after a few bytes.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Checkpoint`] naming the file for a
    /// file over the size limit and as in [`Checkpoint::from_bytes`].
    pub fn load(path: &Path) -> Result<Self> {
        let source = path.display().to_string();
        let io = |source: std::io::Error| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let metadata = file.metadata().map_err(io)?;
        if metadata.is_dir() {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "is a directory (expected a checkpoint file)",
            )));
        }
        if metadata.is_file() && metadata.len() > MAX_CHECKPOINT_BYTES {
            return Err(corrupt(
                &source,
                format!(
                    "the file is {} bytes, more than the {MAX_CHECKPOINT_BYTES} bytes a checkpoint \
                     can have (two parameter vectors of at most 2 GiB each and the 1 MiB header)",
                    metadata.len()
                ),
            ));
        }
        let mut reader = std::io::BufReader::new(file);
        let mut bytes = Vec::new();
        // Reads up to `n` more bytes (fewer at the end of the file).
        let mut more = |bytes: &mut Vec<u8>, n: u64| -> Result<()> {
            (&mut reader)
                .take(n)
                .read_to_end(bytes)
                .map(|_| ())
                .map_err(io)
        };
        more(&mut bytes, PREAMBLE as u64)?;
        // Each step only proceeds when the bytes so far are a plausible checkpoint; otherwise
        // `from_bytes` reports what is wrong with them (magic, version, truncation).
        if let Some(header_len) = preamble_header_len(&bytes) {
            more(&mut bytes, header_len as u64 + 9)?;
            if bytes.len() == PREAMBLE + header_len + 9 {
                let count = u64::from_le_bytes(
                    bytes[bytes.len() - 9..bytes.len() - 1]
                        .try_into()
                        .expect("8 bytes"),
                );
                let has_ema = bytes[bytes.len() - 1] == 1;
                let total = file_len(header_len, count, has_ema)
                    .filter(|&total| total <= MAX_CHECKPOINT_BYTES)
                    .ok_or_else(|| {
                        corrupt(
                            &source,
                            format!(
                                "parameter count {count}{} needs more than the \
                                 {MAX_CHECKPOINT_BYTES} bytes a checkpoint can have (corrupt file)",
                                if has_ema { " plus EMA" } else { "" }
                            ),
                        )
                    })?;
                // One byte more than announced, so that trailing bytes are reported.
                let rest = total - bytes.len() as u64 + 1;
                more(&mut bytes, rest)?;
            }
        }
        Self::from_bytes(&bytes, &source)
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
    use std::fs;
    use std::path::PathBuf;

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
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".round_trip.ckpt.") || name.ends_with("ckpt.tmp"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temporary files left behind: {leftovers:?}"
        );
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

    /// The bytes of a checkpoint with `header` (text), `count` parameters and a valid checksum.
    fn crafted(header: &str, count: u64, params: &[f64]) -> Vec<u8> {
        let mut bytes = CHECKPOINT_MAGIC.to_vec();
        bytes.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.push(0);
        for v in params {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let hash = fnv1a64(&bytes);
        bytes.extend_from_slice(&hash.to_le_bytes());
        bytes
    }

    fn header_with(replace: (&str, &str)) -> String {
        let net = small_net(4, 5);
        let mut header = "manifold=sphere:2\n".to_string();
        for (k, v) in net.config().to_header_lines() {
            let v = if k == replace.0 {
                replace.1.to_string()
            } else {
                v
            };
            header.push_str(&format!("{k}={v}\n"));
        }
        header
    }

    #[test]
    fn crafted_headers_name_the_field_and_allocate_nothing() {
        let cases = [
            (
                ("hidden_width", "x"),
                "header field hidden_width = \"x\" is not an integer",
            ),
            (
                ("hidden_width", "18446744073709551615"),
                "header field hidden_width",
            ),
            (
                ("hidden_layers", "4294967296"),
                "header field hidden_layers",
            ),
            (("ambient_dim", "0"), "header field ambient_dim"),
            (
                ("input_encoding", "embedded:18446744073709551615,embedded:4"),
                "header field input_encoding",
            ),
        ];
        for ((key, value), expected) in cases {
            let bytes = crafted(&header_with((key, value)), 3, &[0.0; 3]);
            let m = message(Checkpoint::from_bytes(&bytes, "m.ckpt").unwrap_err());
            assert!(m.contains(expected), "{key}={value}: {m}");
        }
        // A count whose byte size overflows u64 is "truncated", never a panic or allocation.
        let bytes = crafted(&header_with(("activation", "silu")), u64::MAX / 4, &[]);
        let m = message(Checkpoint::from_bytes(&bytes, "m.ckpt").unwrap_err());
        assert!(m.contains("truncated"), "{m}");
    }

    #[test]
    fn load_reads_no_more_than_the_header_announces() {
        // /dev/zero: refused at the magic after 16 bytes.
        if Path::new("/dev/zero").exists() {
            let e = Checkpoint::load(Path::new("/dev/zero")).unwrap_err();
            assert!(message(e).contains("not a riemannian-diffusion"));
        }
        // A header announcing 2^61 parameters: refused before reading them.
        let path = temp_path("huge-count.ckpt");
        fs::write(
            &path,
            crafted(&header_with(("activation", "silu")), 1 << 61, &[]),
        )
        .unwrap();
        let m = message(Checkpoint::load(&path).unwrap_err());
        assert!(
            m.contains("parameter count") && m.contains("bytes a checkpoint can have"),
            "{m}"
        );
        // A (sparse) file over the size limit: refused from its metadata.
        let file = File::create(&path).unwrap();
        file.set_len(MAX_CHECKPOINT_BYTES + 1).unwrap();
        drop(file);
        let m = message(Checkpoint::load(&path).unwrap_err());
        assert!(m.contains("more than the"), "{m}");
        fs::remove_file(&path).unwrap();
        // A directory.
        let e = Checkpoint::load(&std::env::temp_dir()).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
