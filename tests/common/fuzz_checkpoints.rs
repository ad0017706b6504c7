//! Checkpoint mutations shared by the fuzz tests (`tests/fuzz_inputs.rs` loads them with
//! `Checkpoint::from_bytes` in a supervised child; `tests/fuzz_cli.rs` through `rdiff eval` and
//! `rdiff sample`). The file format (version 2) is the one documented in `nn::checkpoint`.

#![allow(dead_code)]

use super::fuzz_fixtures::{fnv1a, Gen};
use riemannian_diffusion::manifold::{Manifold, ManifoldSpec};
use riemannian_diffusion::nn::{Checkpoint, ScoreNet, ScoreNetConfig, SigmaEncoding};
use riemannian_diffusion::registry;
use std::sync::Arc;

fn build(spec_text: &str) -> Option<(ManifoldSpec, Arc<dyn Manifold>)> {
    let spec: ManifoldSpec = spec_text.parse().ok()?;
    let m = registry::builtin().manifold(&spec).ok()?;
    Some((spec, m))
}

/// A valid checkpoint (as written by `rdiff train`) of a small network on `spec`.
pub fn base_checkpoint(base: &Base) -> Vec<u8> {
    let (_, m) = build(base.spec).expect("a base manifold");
    let mut config = ScoreNetConfig::for_manifold(m.as_ref());
    config.hidden_width = base.width;
    config.hidden_layers = base.layers;
    if let Some(frequencies) = base.frequencies {
        config.sigma_encoding = SigmaEncoding::LogSinusoidal { frequencies };
    }
    let network = ScoreNet::new(m.clone(), config, 7).expect("a small network");
    let ema_params: Vec<f64> = network.params().iter().map(|p| 0.5 * p).collect();
    let metadata = vec![
        ("dataset".to_string(), base.dataset.to_string()),
        ("manifold".to_string(), base.spec.to_string()),
        ("loss".to_string(), "dsm".to_string()),
        ("seed".to_string(), "0".to_string()),
        ("synthetic_size".to_string(), "20".to_string()),
        ("sigma_min".to_string(), "1e-2".to_string()),
        ("sigma_max".to_string(), "3e0".to_string()),
        ("steps".to_string(), "2".to_string()),
        ("batch_size".to_string(), "8".to_string()),
        ("learning_rate".to_string(), "1e-3".to_string()),
    ];
    Checkpoint::from_network(
        &network,
        base.ema.then_some(ema_params.as_slice()),
        metadata,
    )
    .to_bytes()
    .expect("serialise")
}

/// A valid checkpoint as `rdiff train` writes it: a small network on `spec` trained (nominally)
/// on `dataset`.
#[derive(Clone, Copy, Debug)]
pub struct Base {
    /// Manifold text.
    pub spec: &'static str,
    /// Data set name (`rdiff eval` re-creates its split).
    pub dataset: &'static str,
    /// Hidden width.
    pub width: usize,
    /// Hidden layers.
    pub layers: usize,
    /// Log-sinusoidal σ encoding with this many frequencies (else raw σ).
    pub frequencies: Option<usize>,
    /// With EMA parameters.
    pub ema: bool,
}

/// The base checkpoints of the mutations.
pub const BASES: &[Base] = &[
    Base {
        spec: "sphere:2",
        dataset: "vmf-mixture",
        width: 4,
        layers: 1,
        frequencies: None,
        ema: true,
    },
    Base {
        spec: "sphere:2",
        dataset: "volcano",
        width: 3,
        layers: 2,
        frequencies: Some(4),
        ema: false,
    },
    Base {
        spec: "torus:2",
        dataset: "wrapped-normal-mixture",
        width: 3,
        layers: 2,
        frequencies: None,
        ema: false,
    },
    Base {
        spec: "so:3*sphere:2",
        dataset: "heat-kernel-mixture",
        width: 2,
        layers: 1,
        frequencies: None,
        ema: true,
    },
    Base {
        spec: "su:2",
        dataset: "heat-kernel-mixture",
        width: 1,
        layers: 1,
        frequencies: None,
        ema: true,
    },
];

/// The parts of a checkpoint file (format version 2, documented in `nn::checkpoint`).
pub struct Parts {
    pub magic: Vec<u8>,
    pub version: u32,
    pub header: Vec<u8>,
    pub count: u64,
    pub ema_flag: u8,
    pub body: Vec<u8>,
}

pub fn split_checkpoint(bytes: &[u8]) -> Parts {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let h_end = 16 + header_len;
    Parts {
        magic: bytes[..8].to_vec(),
        version: u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        header: bytes[16..h_end].to_vec(),
        count: u64::from_le_bytes(bytes[h_end..h_end + 8].try_into().unwrap()),
        ema_flag: bytes[h_end + 8],
        body: bytes[h_end + 9..bytes.len() - 8].to_vec(),
    }
}

/// Reassembles the parts with a consistent header length and a valid checksum.
pub fn seal(parts: &Parts) -> Vec<u8> {
    let mut out = parts.magic.clone();
    out.extend_from_slice(&parts.version.to_le_bytes());
    out.extend_from_slice(&(parts.header.len() as u32).to_le_bytes());
    out.extend_from_slice(&parts.header);
    out.extend_from_slice(&parts.count.to_le_bytes());
    out.push(parts.ema_flag);
    out.extend_from_slice(&parts.body);
    let hash = fnv1a(&out);
    out.extend_from_slice(&hash.to_le_bytes());
    out
}

/// Replaces (or appends) the header field `key` with `value`.
fn set_header_field(header: &[u8], key: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(header).into_owned();
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line.split_once('=').is_some_and(|(k, _)| k == key) {
                found = true;
                format!("{key}={value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    if !found {
        lines.push(format!("{key}={value}"));
    }
    (lines.join("\n") + "\n").into_bytes()
}

const HEADER_KEYS: &[&str] = &[
    "manifold",
    "ambient_dim",
    "hidden_width",
    "hidden_layers",
    "activation",
    "sigma_encoding",
    "input_encoding",
    "meta.dataset",
    "meta.manifold",
    "meta.seed",
    "meta.synthetic_size",
    "meta.sigma_min",
    "meta.sigma_max",
];

const HEADER_VALUES: &[&str] = &[
    "0",
    "1",
    "3",
    "8",
    "1048576",
    "1048577",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "",
    "abc",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "1e-400",
    "0.0",
    "sphere:0",
    "so:3**so:3",
    "sphere:16777215",
    "sphere:16777216",
    "su:2896",
    "su:3^65536",
    "klein:2",
    "mycustom",
    "torus:2*",
    "so:20",
    "sphere:2",
    "torus:2",
    "angles:2",
    "embedded:3",
    "embedded:0",
    "embedded:18446744073709551615",
    "angles:1,embedded:3",
    "log-sinusoidal:0",
    "log-sinusoidal:33",
    "log-sinusoidal:8",
    "raw",
    "silu",
    "tanh",
    "heat-kernel-mixture",
    "volcano",
    "wrapped-normal-mixture",
];

/// A mutated checkpoint of case `case`, a description of the mutations, and whether the file
/// is corrupt (differs from the last consistently sealed version: must be refused). Sealed
/// mutations keep the length and checksum consistent, so the header and body parsers see them.
pub fn mutated_checkpoint(seed: u64, stream: &str, case: u64) -> (Vec<u8>, String, bool) {
    let mut g = Gen::for_case(seed, stream, case);
    let base = *g.pick(BASES);
    let original = base_checkpoint(&base);
    let mut bytes = original.clone();
    let mut what = format!(
        "checkpoint of a {}×{} network on {} ({}, EMA {}), mutations:",
        base.layers, base.width, base.spec, base.dataset, base.ema
    );
    let mut last_sealed = original;
    let rounds = g.range(1, 3);
    for _ in 0..rounds {
        let len = bytes.len();
        match g.below(12) {
            0 => {
                let i = g.below(len.max(1));
                let bit = g.below(8);
                if i < len {
                    bytes[i] ^= 1 << bit;
                }
                what += &format!(" flip bit {bit} of byte {i};");
            }
            1 => {
                let keep = if g.chance(0.5) {
                    g.below(len + 1)
                } else {
                    len.saturating_sub(g.range(1, 16))
                };
                bytes.truncate(keep);
                what += &format!(" truncate to {keep} bytes;");
            }
            2 => {
                let at = g.below(len + 1);
                let count = g.range(1, 64);
                let extra = g.bytes(count);
                what += &format!(" insert {} random bytes at {at};", extra.len());
                bytes.splice(at..at, extra);
            }
            3 if len > 1 => {
                let a = g.below(len);
                let b = (a + g.range(1, 64)).min(len);
                bytes.drain(a..b);
                what += &format!(" delete bytes {a}..{b};");
            }
            4 if len >= 16 => {
                let v: u32 = *g.pick(&[0, 1, 3, u32::MAX]);
                bytes[8..12].copy_from_slice(&v.to_le_bytes());
                what += &format!(" version {v};");
            }
            5 if len >= 16 => {
                let v: u32 = *g.pick(&[0, 1, u32::MAX, 1 << 20, (1 << 20) + 1, 16]);
                bytes[12..16].copy_from_slice(&v.to_le_bytes());
                what += &format!(" header length field {v};");
            }
            _ => {
                // Sealed mutations: parse the (current) file, change a part, reassemble.
                let header_len = if bytes.len() >= 16 {
                    u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
                } else {
                    usize::MAX
                };
                if bytes.len() < 16
                    || bytes.len() < 16usize.saturating_add(header_len).saturating_add(17)
                {
                    continue;
                }
                let mut parts = split_checkpoint(&bytes);
                match g.below(7) {
                    0..=2 => {
                        let key = *g.pick(HEADER_KEYS);
                        let value = *g.pick(HEADER_VALUES);
                        parts.header = set_header_field(&parts.header, key, value);
                        what += &format!(" sealed header {key}={value};");
                    }
                    3 => {
                        let v: u64 = *g.pick(&[
                            0,
                            1,
                            u64::MAX,
                            1 << 61,
                            parts.count + 1,
                            parts.count.saturating_sub(1),
                            parts.count * 2,
                        ]);
                        parts.count = v;
                        what += &format!(" sealed parameter count {v};");
                    }
                    4 => {
                        parts.ema_flag = *g.pick(&[0, 1, 2, 255]);
                        what += &format!(" sealed EMA flag {};", parts.ema_flag);
                    }
                    5 => {
                        if parts.body.len() >= 8 {
                            let i = 8 * g.below(parts.body.len() / 8);
                            let v: f64 = *g.pick(&[
                                f64::NAN,
                                f64::INFINITY,
                                -f64::INFINITY,
                                1e300,
                                -1e300,
                                5e-324,
                                f64::MAX,
                            ]);
                            parts.body[i..i + 8].copy_from_slice(&v.to_le_bytes());
                            what += &format!(" sealed parameter {} = {v:e};", i / 8);
                        }
                    }
                    _ => {
                        // Random bytes inside the header (may break UTF-8 or the key=value lines).
                        if !parts.header.is_empty() {
                            let i = g.below(parts.header.len());
                            let b = *g.pick(&[b'=', b'\n', 0xff, 0x00, b'9', b'*', b'^']);
                            parts.header[i] = b;
                            what += &format!(" sealed header byte {i} = {b:#04x};");
                        }
                    }
                }
                bytes = seal(&parts);
                last_sealed = bytes.clone();
            }
        }
    }
    let corrupt = bytes != last_sealed;
    (bytes, what, corrupt)
}
