//! Earth-science CSV loading: format tolerance (comments, headers, CRLF, BOM), rejection of
//! malformed rows with the line number, data-directory resolution, the seeded 80/10/10 split,
//! and (when `../shared/earth_data` exists) the real files' row counts.

use riemannian_diffusion::data::earth::{
    lat_lon_to_unit, load_lat_lon_file, parse_lat_lon_csv, resolve_data_dir, DEFAULT_DATA_DIR,
};
use riemannian_diffusion::data::{load_earth, split_80_10_10, EarthDataset};
use riemannian_diffusion::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rdiff-data-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parse_error(text: &str) -> (usize, String) {
    match parse_lat_lon_csv(text, "test.csv") {
        Err(Error::Parse {
            source_name,
            line,
            message,
        }) => {
            assert_eq!(source_name, "test.csv");
            (line, message)
        }
        other => panic!("expected a parse error for {text:?}, got {other:?}"),
    }
}

#[test]
fn tolerates_comments_headers_crlf_and_missing_final_newline() {
    let variants = [
        "# a comment\nLatitude,Longitude\n10.5,-20\n-30,40.25",
        "# c1\r\n# c2\r\nLATITUDE,LONGITUDE\r\n10.5,-20\r\n-30,40.25\r\n",
        "lat,long\n10.5,-20\n\n-30,40.25\n",
        "\u{feff}# bom\n10.5, -20\n  # indented comment\n-30 ,40.25",
    ];
    for text in variants {
        let rows = parse_lat_lon_csv(text, "t").unwrap();
        assert_eq!(rows, vec![[10.5, -20.0], [-30.0, 40.25]], "{text:?}");
    }
}

#[test]
fn rejects_malformed_rows_with_line_numbers() {
    let cases: [(&str, usize, &str); 9] = [
        ("# c\n10,20\n1,2,3\n", 3, "found 3"),
        ("10,20\n30\n", 2, "found 1"),
        ("lat,lon\n10,abc\n", 2, "\"abc\""),
        ("10,20\r\nNaN,5\r\n", 2, "not finite"),
        ("10,inf\n", 1, "not finite"),
        ("90.5,0\n", 1, "latitude 90.5"),
        ("0,-360.5\n", 1, "longitude -360.5"),
        ("10,20\nlat,lon\n", 2, "header"),
        ("foo,bar\n", 1, "\"foo\""),
    ];
    for (text, line, needle) in cases {
        let (got_line, message) = parse_error(text);
        assert_eq!(got_line, line, "{text:?}: {message}");
        assert!(
            message.contains(needle),
            "{text:?}: {message:?} lacks {needle:?}"
        );
    }
    // The Display form names file and line.
    let err = parse_lat_lon_csv("1,2\n3;4\n", "quakes.csv")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("quakes.csv:2:"), "{err}");
    assert!(err.contains("3;4"), "{err}");
}

#[test]
fn boundary_values_are_accepted() {
    let rows = parse_lat_lon_csv("90,360\n-90,-360\n0,0\n", "t").unwrap();
    assert_eq!(rows.len(), 3);
}

#[test]
fn loads_files_as_unit_vectors() {
    let dir = TempDir::new();
    let path = dir.write(
        "pts.csv",
        b"# test\r\nlat,long\r\n0,0\r\n0,90\r\n90,0\r\n-45,180",
    );
    let data = load_lat_lon_file(&path, "pts").unwrap();
    assert_eq!((data.len(), data.ambient_dim), (4, 3));
    let expected = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for (row, e) in data.rows().zip(expected) {
        for k in 0..3 {
            assert!((row[k] - e[k]).abs() < 1e-15, "{row:?} vs {e:?}");
        }
    }
    let s = std::f64::consts::FRAC_1_SQRT_2;
    let last = data.row(3);
    assert!((last[0] + s).abs() < 1e-15 && last[1].abs() < 1e-15 && (last[2] + s).abs() < 1e-15);
    assert_eq!(lat_lon_to_unit(-45.0, 180.0).to_vec(), last.to_vec());
}

#[test]
fn file_errors_are_clean() {
    let dir = TempDir::new();
    // Malformed row: the error carries the path and the 1-based line.
    let path = dir.write("bad.csv", b"# c\n1,2\n1,2,3");
    match load_lat_lon_file(&path, "bad") {
        Err(Error::Parse {
            source_name, line, ..
        }) => {
            assert!(source_name.ends_with("bad.csv"));
            assert_eq!(line, 3);
        }
        other => panic!("{other:?}"),
    }
    // Only comments: no data rows.
    let path = dir.write("empty.csv", b"# nothing\nlat,lon\n");
    assert!(matches!(
        load_lat_lon_file(&path, "e"),
        Err(Error::InvalidArgument { .. })
    ));
    // Invalid UTF-8 on line 2.
    let path = dir.write("latin1.csv", b"1,2\n\xe9,3\n");
    assert!(matches!(
        load_lat_lon_file(&path, "l"),
        Err(Error::Parse { line: 2, .. })
    ));
    // Missing directory: an Io error naming the path and the environment variable.
    let missing = dir.0.join("no-such-dir");
    let err = load_earth(EarthDataset::Flood, Some(&missing)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    let text = err.to_string();
    assert!(
        text.contains("no-such-dir")
            && text.contains("flood.csv")
            && text.contains("RDIFF_DATA_DIR"),
        "{text}"
    );
}

#[test]
fn explicit_data_dir_wins() {
    // Only the explicit-path branch is tested: the environment is process-global and tests
    // run in parallel, so the RDIFF_DATA_DIR branch is covered by tests/cli.rs (own process).
    assert_eq!(
        resolve_data_dir(Some(Path::new("/x/y"))),
        PathBuf::from("/x/y")
    );
    assert_eq!(DEFAULT_DATA_DIR, "../shared/earth_data");
}

#[test]
fn dataset_from_temp_dir_and_split() {
    let dir = TempDir::new();
    let mut text = String::from("# synthetic\nLatitude,Longitude\n");
    for i in 0..103 {
        text.push_str(&format!(
            "{},{}\n",
            (i as f64) * 1.5 - 80.0,
            (i as f64) * 3.3 - 170.0
        ));
    }
    dir.write("volerup.csv", text.trim_end().as_bytes());
    let data = load_earth(EarthDataset::Volcano, Some(&dir.0)).unwrap();
    assert_eq!(data.len(), 103);
    assert_eq!(data.name, "volcano");
    let a = split_80_10_10(&data, 0);
    let b = split_80_10_10(&data, 0);
    let c = split_80_10_10(&data, 1);
    assert_eq!((a.train.len(), a.val.len(), a.test.len()), (82, 10, 11));
    assert_eq!(a, b);
    assert_ne!(a.test.points, c.test.points);
}

/// The shared data directory, if present (tests run with the crate root as working directory).
fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_DATA_DIR);
    dir.join("volerup.csv").exists().then_some(dir)
}

#[test]
fn real_earth_files_have_the_documented_row_counts() {
    let Some(dir) = shared_dir() else {
        eprintln!("skipping: {DEFAULT_DATA_DIR} not found");
        return;
    };
    for (dataset, rows) in [
        (EarthDataset::Volcano, 827),
        (EarthDataset::Earthquake, 6120),
        (EarthDataset::Flood, 4875),
        (EarthDataset::Fire, 12809),
    ] {
        let data = load_earth(dataset, Some(&dir)).unwrap();
        assert_eq!(data.len(), rows, "{dataset}");
        assert_eq!(dataset.expected_rows(), rows);
        for x in data.rows() {
            let norm2: f64 = x.iter().map(|v| v * v).sum();
            assert!((norm2 - 1.0).abs() < 1e-15);
        }
        let split = split_80_10_10(&data, 0);
        assert_eq!(
            split.train.len() + split.val.len() + split.test.len(),
            rows,
            "{dataset}"
        );
    }
    // Sizes from the data README: Volcano 661/82/84.
    let volcano = load_earth(EarthDataset::Volcano, Some(&dir)).unwrap();
    let s = split_80_10_10(&volcano, 3);
    assert_eq!((s.train.len(), s.val.len(), s.test.len()), (661, 82, 84));
    // First row of volerup.csv is "-30.2,-178.47".
    let first = lat_lon_to_unit(-30.2, -178.47);
    assert_eq!(volcano.row(0), &first[..]);
}

/// Maps an arbitrary `f64` into `[−bound, bound]` (NaN and infinities to 0).
fn into_range(v: f64, bound: f64) -> f64 {
    if v.is_finite() {
        (v % (2.0 * bound + 1.0)).clamp(-bound, bound)
    } else {
        0.0
    }
}

quickcheck::quickcheck! {
    /// Any list of in-range rows, written with `{}` (shortest round-trip formatting), either
    /// line ending, optional comments and header, parses back to exactly the same numbers.
    fn csv_rows_round_trip(rows: Vec<(f64, f64)>, crlf: bool, header: bool, comment: bool) -> bool {
        let rows: Vec<[f64; 2]> = rows.into_iter().map(|(a, b)| [into_range(a, 90.0), into_range(b, 360.0)]).collect();
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if comment {
            text.push_str(&format!("# generated{eol}"));
        }
        if header {
            text.push_str(&format!("lat,lon{eol}"));
        }
        for [a, b] in &rows {
            text.push_str(&format!("{a},{b}{eol}"));
        }
        parse_lat_lon_csv(&text, "q").map(|parsed| parsed == rows).unwrap_or(false)
    }

    /// The split is a partition of the rows with sizes ⌊0.8N⌋, ⌊0.1N⌋, rest, for every seed.
    fn split_is_a_partition(n: u16, seed: u64) -> bool {
        let n = n as usize % 3000;
        let data = riemannian_diffusion::data::Dataset::new("q", 1, (0..n).map(|i| i as f64).collect()).unwrap();
        let s = split_80_10_10(&data, seed);
        let mut all: Vec<f64> = [s.train.points.clone(), s.val.points.clone(), s.test.points.clone()].concat();
        all.sort_by(f64::total_cmp);
        s.train.len() == n * 8 / 10 && s.val.len() == n / 10 && all == data.points
    }
}
