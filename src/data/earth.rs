//! The earth-science benchmark data sets on `S²` (Volcano, Earthquake, Flood, Fire).
//!
//! These are the four CSV files of the RSGM repository (De Bortoli et al. 2022, §6.1;
//! first used by Mathieu & Nickel 2020), kept byte-for-byte in a data directory
//! (see `../shared/earth_data/README.md`). Each data row is `latitude,longitude` in
//! decimal degrees; files may start with `#` comment lines and a column-header line
//! (`Latitude,Longitude`, `lat,long`, `LATITUDE,LONGITUDE`), use LF or CRLF line
//! endings and lack a trailing newline.
//!
//! A row `(φ, λ)` (latitude, longitude) becomes the unit vector
//! `x = (cos φ cos λ, cos φ sin λ, sin φ)` — the convention of RFM and Scaling-RDM. RSGM
//! uses another parametrisation that differs by an isometry of the sphere, so
//! negative log-likelihoods are comparable.

use super::Dataset;
use crate::error::{number, quoted, Error, Result};
use crate::limits::MAX_DATA_FILE_BYTES;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Environment variable naming the directory that holds the earth-science CSV files.
pub const DATA_DIR_ENV: &str = "RDIFF_DATA_DIR";

/// Directory used when neither an explicit path nor [`DATA_DIR_ENV`] is given.
pub const DEFAULT_DATA_DIR: &str = "../shared/earth_data";

/// Largest accepted `|latitude|` in degrees.
pub const MAX_ABS_LATITUDE: f64 = 90.0;

/// Largest accepted `|longitude|` in degrees (longitudes in `[0, 360]` and `[−180, 180]`
/// are both common, so anything in `[−360, 360]` is accepted).
pub const MAX_ABS_LONGITUDE: f64 = 360.0;

/// One of the four earth-science data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EarthDataset {
    /// Volcanic eruptions (NOAA NGDC/NCEI), `volerup.csv`, 827 rows.
    Volcano,
    /// Significant earthquakes (NOAA NGDC/NCEI), `quakes_all.csv`, 6 120 rows.
    Earthquake,
    /// Large floods (Dartmouth Flood Observatory), `flood.csv`, 4 875 rows.
    Flood,
    /// Active fires (NASA FIRMS), `fire.csv`, 12 809 rows.
    Fire,
}

impl EarthDataset {
    /// All four data sets, in the order of the RSGM paper's table.
    pub const ALL: [EarthDataset; 4] = [
        EarthDataset::Volcano,
        EarthDataset::Earthquake,
        EarthDataset::Flood,
        EarthDataset::Fire,
    ];

    /// Lower-case name used on the command line (`volcano`, `earthquake`, `flood`, `fire`).
    pub fn name(self) -> &'static str {
        match self {
            EarthDataset::Volcano => "volcano",
            EarthDataset::Earthquake => "earthquake",
            EarthDataset::Flood => "flood",
            EarthDataset::Fire => "fire",
        }
    }

    /// File name inside the data directory (the upstream RSGM names).
    pub fn file_name(self) -> &'static str {
        match self {
            EarthDataset::Volcano => "volerup.csv",
            EarthDataset::Earthquake => "quakes_all.csv",
            EarthDataset::Flood => "flood.csv",
            EarthDataset::Fire => "fire.csv",
        }
    }

    /// Number of data rows in the upstream file (from the data README).
    pub fn expected_rows(self) -> usize {
        match self {
            EarthDataset::Volcano => 827,
            EarthDataset::Earthquake => 6120,
            EarthDataset::Flood => 4875,
            EarthDataset::Fire => 12809,
        }
    }
}

impl fmt::Display for EarthDataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EarthDataset {
    type Err = Error;

    /// Parses `volcano`, `earthquake`, `flood` or `fire` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        EarthDataset::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    "dataset",
                    crate::error::quoted(s),
                    "one of volcano, earthquake, flood, fire",
                )
            })
    }
}

/// The data directory: `explicit` if given, else the value of [`DATA_DIR_ENV`] if set and
/// non-empty, else [`DEFAULT_DATA_DIR`] (relative to the working directory).
pub fn resolve_data_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    }
}

/// The unit vector `(cos φ cos λ, cos φ sin λ, sin φ)` of latitude `φ` and longitude `λ` in degrees.
///
/// Degrees are converted with `to_radians`; the result has norm 1 to within 1 ulp-level
/// rounding (≲ 3e-16).
pub fn lat_lon_to_unit(latitude_deg: f64, longitude_deg: f64) -> [f64; 3] {
    let (sin_lat, cos_lat) = latitude_deg.to_radians().sin_cos();
    let (sin_lon, cos_lon) = longitude_deg.to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// Latitude and longitude in degrees (`[−90, 90]`, `(−180, 180]`) of a nonzero vector of `R³`
/// (the inverse of [`lat_lon_to_unit`]); `atan2` forms, accurate at the poles.
///
/// # Panics
/// If `x.len() != 3`.
pub fn unit_to_lat_lon(x: &[f64]) -> (f64, f64) {
    assert_eq!(x.len(), 3, "unit_to_lat_lon needs a point of R^3");
    let horizontal = x[0].hypot(x[1]);
    (
        x[2].atan2(horizontal).to_degrees(),
        x[1].atan2(x[0]).to_degrees(),
    )
}

/// Column order fixed by an optional header line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ColumnOrder {
    LatLon,
    LonLat,
}

fn is_latitude_name(s: &str) -> bool {
    ["lat", "latitude"]
        .iter()
        .any(|n| s.eq_ignore_ascii_case(n))
}

fn is_longitude_name(s: &str) -> bool {
    ["lon", "long", "lng", "longitude"]
        .iter()
        .any(|n| s.eq_ignore_ascii_case(n))
}

/// Recognises a column-header line (`Latitude,Longitude`, `lat,long`, `lon,lat`, …).
fn header_order(fields: &[&str]) -> Option<ColumnOrder> {
    if fields.len() != 2 {
        return None;
    }
    let (a, b) = (
        fields[0].trim().trim_matches('"'),
        fields[1].trim().trim_matches('"'),
    );
    if is_latitude_name(a) && is_longitude_name(b) {
        Some(ColumnOrder::LatLon)
    } else if is_longitude_name(a) && is_latitude_name(b) {
        Some(ColumnOrder::LonLat)
    } else {
        None
    }
}

fn parse_number(field: &str, what: &str, line_text: &str) -> std::result::Result<f64, String> {
    let s = field.trim();
    let v: f64 = s.parse().map_err(|_| {
        format!(
            "cannot parse {what} {} as a number in row {}",
            quoted(s),
            quoted(line_text)
        )
    })?;
    if !v.is_finite() {
        return Err(format!(
            "{what} {} is not finite in row {}",
            quoted(s),
            quoted(line_text)
        ));
    }
    Ok(v)
}

/// Parses the text of a latitude/longitude CSV file into `(latitude, longitude)` pairs in degrees.
///
/// Accepted: a leading UTF-8 byte-order mark; blank lines; comment lines whose first
/// non-blank character is `#`; one column-header line before the first data row naming
/// the two columns (`lat`/`latitude` and `lon`/`long`/`lng`/`longitude`, any case, in
/// either order — a `longitude,latitude` header swaps the columns); LF or CRLF endings;
/// a missing final newline. Every other line must be two comma-separated finite numbers
/// with `|latitude| ≤ 90` and `|longitude| ≤ 360`.
///
/// Cost: one pass over the text.
///
/// # Errors
/// [`Error::Parse`] with `source_name`, the 1-based line number and a message quoting the
/// offending row, for the first malformed line (wrong field count, unparsable number,
/// NaN/infinite value, latitude or longitude out of range, a header after data rows).
pub fn parse_lat_lon_csv(text: &str, source_name: &str) -> Result<Vec<[f64; 2]>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut order: Option<ColumnOrder> = None;
    let mut rows = Vec::new();
    let error = |line: usize, message: String| Error::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    };
    for (index, raw) in text.split('\n').enumerate() {
        let line_number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split(',').collect();
        if let Some(o) = header_order(&fields) {
            if order.is_some() || !rows.is_empty() {
                return Err(error(
                    line_number,
                    format!(
                        "unexpected column header {} after the first header or data row",
                        quoted(trimmed)
                    ),
                ));
            }
            order = Some(o);
            continue;
        }
        if fields.len() != 2 {
            return Err(error(
                line_number,
                format!(
                    "expected 2 comma-separated fields (latitude,longitude), found {} in {}",
                    fields.len(),
                    quoted(trimmed)
                ),
            ));
        }
        let (lat_field, lon_field) = match order.unwrap_or(ColumnOrder::LatLon) {
            ColumnOrder::LatLon => (fields[0], fields[1]),
            ColumnOrder::LonLat => (fields[1], fields[0]),
        };
        let lat =
            parse_number(lat_field, "latitude", trimmed).map_err(|m| error(line_number, m))?;
        let lon =
            parse_number(lon_field, "longitude", trimmed).map_err(|m| error(line_number, m))?;
        if lat.abs() > MAX_ABS_LATITUDE {
            return Err(error(
                line_number,
                format!(
                    "latitude {} is outside [-90, 90] in row {}",
                    number(lat),
                    quoted(trimmed)
                ),
            ));
        }
        if lon.abs() > MAX_ABS_LONGITUDE {
            return Err(error(
                line_number,
                format!(
                    "longitude {} is outside [-360, 360] in row {}",
                    number(lon),
                    quoted(trimmed)
                ),
            ));
        }
        rows.push([lat, lon]);
    }
    Ok(rows)
}

/// Reads a latitude/longitude CSV file (format of [`parse_lat_lon_csv`]) into a [`Dataset`]
/// of unit vectors of `R³` named `name`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read (the message names the path and suggests
/// `--data-dir` / [`DATA_DIR_ENV`]); [`Error::Parse`] for invalid UTF-8 or a malformed row;
/// [`Error::InvalidArgument`] if the file holds no data rows.
pub fn load_lat_lon_file(path: &Path, name: &str) -> Result<Dataset> {
    let io_error = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::new(
            e.kind(),
            format!(
                "{e} (point --data-dir or the {DATA_DIR_ENV} environment variable at the directory \
                 holding volerup.csv, quakes_all.csv, flood.csv and fire.csv)"
            ),
        ),
    };
    let too_large = |size: String| Error::LimitExceeded {
        name: "data file",
        value: format!("{} ({size} bytes)", path.display()),
        limit: format!("{MAX_DATA_FILE_BYTES} bytes"),
        reason: "memory: a data file is read whole",
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size > MAX_DATA_FILE_BYTES {
        return Err(too_large(size.to_string()));
    }
    // Read at most one byte more than the bound, so a file that grows (or a stream) is refused
    // without being held in memory.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_DATA_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(io_error)?;
    if bytes.len() as u64 > MAX_DATA_FILE_BYTES {
        return Err(too_large(format!("more than {MAX_DATA_FILE_BYTES}")));
    }
    let source_name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        Error::Parse {
            source_name: source_name.clone(),
            line,
            message: format!("invalid UTF-8 at byte offset {valid}"),
        }
    })?;
    let rows = parse_lat_lon_csv(&text, &source_name)?;
    if rows.is_empty() {
        return Err(Error::invalid(
            "data file",
            source_name,
            "at least one latitude,longitude row",
        ));
    }
    let mut points = Vec::with_capacity(3 * rows.len());
    for [lat, lon] in rows {
        points.extend_from_slice(&lat_lon_to_unit(lat, lon));
    }
    Dataset::new(name, 3, points)
}

/// Loads one earth-science data set as unit vectors of `R³` from the directory chosen by
/// [`resolve_data_dir`]`(data_dir)`.
///
/// # Errors
/// As [`load_lat_lon_file`].
pub fn load_earth(dataset: EarthDataset, data_dir: Option<&Path>) -> Result<Dataset> {
    let path = resolve_data_dir(data_dir).join(dataset.file_name());
    load_lat_lon_file(&path, dataset.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_vectors_round_trip() {
        for &(lat, lon) in &[
            (0.0, 0.0),
            (45.0, 90.0),
            (-62.97, -179.98),
            (89.999, 12.0),
            (-90.0, 0.0),
        ] {
            let x = lat_lon_to_unit(lat, lon);
            let norm = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
            assert!((norm - 1.0).abs() < 1e-15);
            let (la, lo) = unit_to_lat_lon(&x);
            assert!((la - lat).abs() < 1e-12, "{la} vs {lat}");
            if lat.abs() < 90.0 {
                assert!((lo - lon).abs() < 1e-9, "{lo} vs {lon}");
            }
        }
    }

    #[test]
    fn header_swaps_columns() {
        let rows = parse_lat_lon_csv("lon,lat\n10,20\n", "t").unwrap();
        assert_eq!(rows, vec![[20.0, 10.0]]);
    }

    #[test]
    fn dataset_names_parse() {
        assert_eq!(
            "Flood".parse::<EarthDataset>().unwrap(),
            EarthDataset::Flood
        );
        assert!("floods".parse::<EarthDataset>().is_err());
    }
}
