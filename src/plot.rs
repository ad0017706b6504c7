//! Density pictures as PNG files: equirectangular maps of densities on `S²` and heat maps
//! on the torus `T²`, coloured with viridis, optionally with data points overlaid.
//!
//! Colour scale: the input is a **log** density on a pixel grid. The colour of a value `v`
//! is `viridis((v − lo)/(hi − lo))`, clamped to `[0, 1]`, where by default
//! `hi = max v` and `lo = max(min v, hi − dynamic_range)` (a clipped range, so that the
//! long tails of `ln p` do not wash out the modes; default 8 nats, i.e. densities below
//! `e^{−8} ≈ 3·10⁻⁴` of the peak share the darkest colour). `−∞` (zero density) maps to
//! the darkest colour, NaN to mid grey.
//!
//! Grids use pixel centres. On `S²` column `i` of a `W × H` map is longitude
//! `λ = −π + (i + ½) 2π/W` and row `j` is latitude `φ = π/2 − (j + ½) π/H` (north up); the
//! point is `(cos φ cos λ, cos φ sin λ, sin φ)` as in [`crate::data::earth`]. On `T²`
//! column `i` is `θ₁ = (i + ½) 2π/W` and row `j` is `θ₂ = 2π − (j + ½) 2π/H` (θ₂ up).
//!
//! Files are written atomically ([`crate::atomic_file`]): the PNG goes to a temporary file in
//! the target directory, which is then renamed over the target, so a reader never sees a
//! half-written picture, and a failure leaves an existing file untouched.

use crate::error::{Error, Result};
use rayon::prelude::*;
use std::f64::consts::{PI, TAU};
use std::io::Write;
use std::path::Path;

/// Viridis (van der Walt & Smith, matplotlib 2.0 default colour map) sampled at 11 evenly
/// spaced points `0, 0.1, …, 1` as 8-bit sRGB. Linear interpolation between these anchors
/// stays within a few levels of the full 256-entry table, and keeps the map's properties
/// that matter here: monotone lightness and readability in grey scale / for colour-blind viewers.
pub const VIRIDIS_ANCHORS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];

/// Colour used for NaN values.
pub const NAN_COLOUR: [u8; 3] = [128, 128, 128];

/// Viridis colour of `t ∈ [0, 1]` (clamped) by linear interpolation of [`VIRIDIS_ANCHORS`];
/// NaN gives [`NAN_COLOUR`].
pub fn viridis(t: f64) -> [u8; 3] {
    if t.is_nan() {
        return NAN_COLOUR;
    }
    let segments = (VIRIDIS_ANCHORS.len() - 1) as f64;
    let s = t.clamp(0.0, 1.0) * segments;
    let k = (s.floor() as usize).min(VIRIDIS_ANCHORS.len() - 2);
    let f = s - k as f64;
    let (a, b) = (VIRIDIS_ANCHORS[k], VIRIDIS_ANCHORS[k + 1]);
    let mix = |i: usize| (a[i] as f64 + f * (b[i] as f64 - a[i] as f64)).round() as u8;
    [mix(0), mix(1), mix(2)]
}

/// An 8-bit RGB picture, row-major from the top-left corner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Image {
    /// A black picture of `width × height` pixels.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if a side is 0 or larger than 65 535 (this module's limit,
    /// far below PNG's); [`Error::LimitExceeded`] for more than [`MAX_PIXELS`] pixels.
    pub fn new(width: usize, height: usize) -> Result<Image> {
        check_picture(width, height)?;
        Ok(Image {
            width,
            height,
            pixels: vec![0; 3 * width * height],
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The RGB bytes, row-major, 3 per pixel.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Colour of pixel (column `x`, row `y`).
    ///
    /// # Panics
    /// If the pixel is outside the picture.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside the picture"
        );
        let i = 3 * (y * self.width + x);
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    /// Sets pixel (column `x`, row `y`); pixels outside the picture are ignored.
    pub fn set_pixel(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = 3 * (y * self.width + x);
            self.pixels[i..i + 3].copy_from_slice(&colour);
        }
    }

    /// Draws a filled disc of `radius` pixels centred at the continuous position `(cx, cy)`
    /// (pixel `(x, y)` covers `[x, x+1) × [y, y+1)`), with a one-pixel dark ring for contrast.
    /// With `wrap_x` the disc wraps around the left/right edges (longitude or an angle).
    pub fn draw_dot(&mut self, cx: f64, cy: f64, radius: f64, colour: [u8; 3], wrap_x: bool) {
        if !(cx.is_finite() && cy.is_finite() && radius.is_finite() && radius > 0.0) {
            return;
        }
        let outer = radius + 1.0;
        let (w, h) = (self.width as i64, self.height as i64);
        let (x0, x1) = ((cx - outer).floor() as i64, (cx + outer).ceil() as i64);
        let (y0, y1) = ((cy - outer).floor() as i64, (cy + outer).ceil() as i64);
        for y in y0.max(0)..y1.min(h) {
            for x in x0..x1 {
                let dx = x as f64 + 0.5 - cx;
                let dy = y as f64 + 0.5 - cy;
                let r = (dx * dx + dy * dy).sqrt();
                if r > outer {
                    continue;
                }
                let xx = if wrap_x { x.rem_euclid(w) } else { x };
                if !(0..w).contains(&xx) {
                    continue;
                }
                let c = if r <= radius { colour } else { [0, 0, 0] };
                self.set_pixel(xx as usize, y as usize, c);
            }
        }
    }

    /// Overlays points of `S²` (row-major unit vectors of `R³`) on an equirectangular map
    /// (layout of the module docs) as dots of `radius` pixels. Rows that are not 3 long or
    /// not finite are skipped.
    pub fn overlay_sphere_points(&mut self, points: &[f64], radius: f64, colour: [u8; 3]) {
        for x in points.chunks_exact(3) {
            let lon = x[1].atan2(x[0]);
            let lat = x[2].atan2(x[0].hypot(x[1]));
            let px = (lon + PI) / TAU * self.width as f64;
            let py = (0.5 * PI - lat) / PI * self.height as f64;
            self.draw_dot(px, py, radius, colour, true);
        }
    }

    /// Overlays points of `T²` (row-major angle pairs) on a torus heat map (layout of the
    /// module docs) as dots of `radius` pixels; angles are wrapped into `[0, 2π)`.
    pub fn overlay_torus_points(&mut self, points: &[f64], radius: f64, colour: [u8; 3]) {
        for x in points.chunks_exact(2) {
            let a = x[0].rem_euclid(TAU);
            let b = x[1].rem_euclid(TAU);
            let px = a / TAU * self.width as f64;
            let py = (TAU - b) / TAU * self.height as f64;
            self.draw_dot(px, py, radius, colour, true);
        }
    }

    /// The picture enlarged by an integer `factor` (each pixel becomes a `factor × factor` block).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `factor == 0` or the result exceeds 65 535 pixels a side.
    pub fn upscaled(&self, factor: usize) -> Result<Image> {
        if factor == 0 {
            return Err(Error::invalid("factor", 0, "an integer factor >= 1"));
        }
        let mut out = Image::new(
            self.width.saturating_mul(factor),
            self.height.saturating_mul(factor),
        )?;
        for y in 0..out.height {
            for x in 0..out.width {
                out.set_pixel(x, y, self.pixel(x / factor, y / factor));
            }
        }
        Ok(out)
    }

    /// The picture encoded as an 8-bit RGB PNG.
    ///
    /// # Errors
    /// [`Error::Numerical`] if the encoder fails (not expected for valid sizes).
    pub fn encode_png(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.encode_into(&mut bytes).map_err(|e| Error::Numerical {
            method: "PNG encoding",
            detail: e.to_string(),
        })?;
        Ok(bytes)
    }

    fn encode_into<W: Write>(&self, sink: W) -> std::result::Result<(), png::EncodingError> {
        let mut encoder = png::Encoder::new(sink, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()
    }

    /// Writes the picture as a PNG file at `path`, atomically ([`write_atomically`]).
    ///
    /// # Errors
    /// [`Error::Io`] naming the path if the directory does not exist or is not writable, or the
    /// target is not a regular file ([`crate::atomic_file::validate_output`]); the temporary
    /// file is removed and an existing file is untouched on failure.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let bytes = self.encode_png()?;
        write_atomically(path, &bytes)
    }
}

fn check_side(name: &'static str, n: usize) -> Result<()> {
    if n == 0 || n > 65_535 {
        return Err(Error::invalid(name, n, "between 1 and 65535 pixels"));
    }
    Ok(())
}

/// Most pixels of one picture or grid: `2²⁴` (a 4096 × 4096 picture; its grid of up to 3
/// reals per pixel is 400 MB), so a picture can never exceed the buffer budget of
/// [`crate::limits`].
pub const MAX_PIXELS: usize = 1 << 24;

/// Checks both sides (1 to 65 535) and their product (at most [`MAX_PIXELS`]).
fn check_picture(width: usize, height: usize) -> Result<()> {
    check_side("width", width)?;
    check_side("height", height)?;
    crate::limits::check_at_most(
        "picture pixels (width × height)",
        width.saturating_mul(height),
        MAX_PIXELS,
        "memory: a grid of up to three reals per pixel",
    )
}

/// Writes `bytes` to `path` atomically (the crate's one writer,
/// [`crate::atomic_file::write_atomically`]: the target is validated first, the bytes go to a
/// unique temporary sibling, which is synced and renamed onto `path`).
pub use crate::atomic_file::write_atomically;

/// Options of the density pictures.
#[derive(Clone, Debug, PartialEq)]
pub struct MapOptions {
    /// Picture width in pixels. Default 720 (half a degree per pixel on `S²`).
    pub width: usize,
    /// Picture height in pixels. Default 360.
    pub height: usize,
    /// Width of the clipped log-density range in nats: values below `max − dynamic_range`
    /// get the darkest colour. Default 8.
    pub dynamic_range: f64,
    /// Explicit log-density range `(lo, hi)`; overrides the automatic range (useful to
    /// draw several pictures on one scale). Default `None`.
    pub range: Option<(f64, f64)>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            width: 720,
            height: 360,
            dynamic_range: 8.0,
            range: None,
        }
    }
}

/// Pixel-centre points of an equirectangular `width × height` grid on `S²`, row-major
/// (3 reals per pixel, rows top to bottom), layout of the module docs.
///
/// # Errors
/// As [`Image::new`] for the sides.
pub fn sphere_grid(width: usize, height: usize) -> Result<Vec<f64>> {
    check_picture(width, height)?;
    let mut out = vec![0.0; 3 * width * height];
    out.par_chunks_mut(3 * width.max(1))
        .enumerate()
        .for_each(|(j, row)| {
            let lat = 0.5 * PI - (j as f64 + 0.5) * PI / height as f64;
            let (sin_lat, cos_lat) = lat.sin_cos();
            for (i, x) in row.chunks_exact_mut(3).enumerate() {
                let lon = -PI + (i as f64 + 0.5) * TAU / width as f64;
                let (sin_lon, cos_lon) = lon.sin_cos();
                x.copy_from_slice(&[cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]);
            }
        });
    Ok(out)
}

/// Pixel-centre angle pairs of a `width × height` grid on `T²`, row-major (2 reals per
/// pixel, rows top to bottom, `θ₂` decreasing downwards), layout of the module docs.
///
/// # Errors
/// As [`Image::new`] for the sides.
pub fn torus_grid(width: usize, height: usize) -> Result<Vec<f64>> {
    check_picture(width, height)?;
    let mut out = vec![0.0; 2 * width * height];
    out.par_chunks_mut(2 * width.max(1))
        .enumerate()
        .for_each(|(j, row)| {
            let b = TAU - (j as f64 + 0.5) * TAU / height as f64;
            for (i, x) in row.chunks_exact_mut(2).enumerate() {
                x[0] = (i as f64 + 0.5) * TAU / width as f64;
                x[1] = b;
            }
        });
    Ok(out)
}

/// Evaluates `f` on every row of a row-major grid of points (`dim` reals each), in parallel.
pub fn evaluate_on_grid<F: Fn(&[f64]) -> f64 + Sync>(grid: &[f64], dim: usize, f: F) -> Vec<f64> {
    grid.par_chunks(dim).map(&f).collect()
}

/// The log-density range `(lo, hi)` used for colouring `values` (see the module docs).
///
/// # Errors
/// [`Error::NonFinite`] if no value is finite and no explicit range is given;
/// [`Error::InvalidArgument`] for an explicit range that is not finite with `lo < hi`, or a
/// `dynamic_range` that is not finite and positive.
pub fn colour_range(values: &[f64], options: &MapOptions) -> Result<(f64, f64)> {
    if let Some((lo, hi)) = options.range {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(Error::invalid(
                "range",
                format!("({lo}, {hi})"),
                "finite lo < hi",
            ));
        }
        return Ok((lo, hi));
    }
    let d = options.dynamic_range;
    if !(d.is_finite() && d > 0.0) {
        return Err(Error::invalid(
            "dynamic_range",
            d,
            "a finite positive number of nats",
        ));
    }
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !max.is_finite() {
        return Err(Error::NonFinite {
            what: "log-density values of the picture (none is finite)".to_string(),
        });
    }
    let lo = min.max(max - d);
    if lo >= max {
        // All finite values are equal. With zero densities (−∞) elsewhere the finite value is
        // the maximum and gets the brightest colour; a constant density is centred instead.
        if values.contains(&f64::NEG_INFINITY) {
            return Ok((max - d, max));
        }
        return Ok((max - 0.5 * d, max + 0.5 * d));
    }
    Ok((lo, max))
}

/// Colours a `width × height` grid of precomputed log-density values (row-major, layout of
/// the module docs) with viridis on the range of [`colour_range`].
///
/// # Errors
/// [`Error::DimensionMismatch`] if `values.len() != width · height`; otherwise as
/// [`Image::new`] and [`colour_range`].
pub fn log_density_image(
    values: &[f64],
    width: usize,
    height: usize,
    options: &MapOptions,
) -> Result<Image> {
    let mut image = Image::new(width, height)?;
    crate::error::check_len("grid of log-density values", values.len(), width * height)?;
    let (lo, hi) = colour_range(values, options)?;
    image
        .pixels
        .par_chunks_mut(3)
        .zip(values.par_iter())
        .for_each(|(p, &v)| {
            let t = if v == f64::NEG_INFINITY {
                0.0
            } else {
                (v - lo) / (hi - lo)
            };
            p.copy_from_slice(&viridis(t));
        });
    Ok(image)
}

/// An equirectangular picture of the log density `log_density` on `S²` (evaluated at the
/// `options.width × options.height` pixel centres in parallel).
///
/// Cost: `width · height` evaluations (259 200 at the default size).
///
/// # Errors
/// As [`log_density_image`].
pub fn sphere_density_map<F: Fn(&[f64]) -> f64 + Sync>(
    log_density: F,
    options: &MapOptions,
) -> Result<Image> {
    check_picture(options.width, options.height)?;
    let grid = sphere_grid(options.width, options.height)?;
    let values = evaluate_on_grid(&grid, 3, log_density);
    log_density_image(&values, options.width, options.height, options)
}

/// A heat map of the log density `log_density` on `T²` over `[0, 2π)²` (evaluated at the
/// pixel centres in parallel).
///
/// # Errors
/// As [`log_density_image`].
pub fn torus_density_map<F: Fn(&[f64]) -> f64 + Sync>(
    log_density: F,
    options: &MapOptions,
) -> Result<Image> {
    check_picture(options.width, options.height)?;
    let grid = torus_grid(options.width, options.height)?;
    let values = evaluate_on_grid(&grid, 2, log_density);
    log_density_image(&values, options.width, options.height, options)
}

/// A log-histogram picture of points of `S²` on an equirectangular grid: each pixel's value
/// is `ln(count / (N · area))` with the pixel's exact spherical area
/// `(2π/W)(sin φ_top − sin φ_bottom)`, i.e. a density estimate with respect to the surface
/// area (`−∞` for empty pixels). For model samples when density evaluation is too costly.
///
/// # Errors
/// As [`log_density_image`]; [`Error::InvalidArgument`] if there are no points.
pub fn sphere_histogram(points: &[f64], options: &MapOptions) -> Result<Image> {
    let (w, h) = (options.width, options.height);
    check_picture(w, h)?;
    let n = points.len() / 3;
    if n == 0 {
        return Err(Error::invalid(
            "points",
            0,
            "at least one point to histogram",
        ));
    }
    let mut counts = vec![0usize; w * h];
    for x in points.chunks_exact(3) {
        let lon = x[1].atan2(x[0]);
        let lat = x[2].atan2(x[0].hypot(x[1]));
        if !(lon.is_finite() && lat.is_finite()) {
            continue;
        }
        let i = (((lon + PI) / TAU * w as f64).floor() as usize).min(w - 1);
        let j = (((0.5 * PI - lat) / PI * h as f64).floor() as usize).min(h - 1);
        counts[j * w + i] += 1;
    }
    let values: Vec<f64> = counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let j = k / w;
            let top = 0.5 * PI - j as f64 * PI / h as f64;
            let bottom = top - PI / h as f64;
            let area = TAU / w as f64 * (top.sin() - bottom.sin());
            (c as f64 / (n as f64 * area)).ln()
        })
        .collect();
    log_density_image(&values, w, h, options)
}

/// A log-histogram picture of points of `T²` (row-major angle pairs, wrapped into `[0, 2π)`)
/// on the torus heat-map grid: each pixel's value is `ln(count / (N · area))` with the pixel
/// area `(2π/W)(2π/H)`, a density estimate with respect to `dθ₁ dθ₂` (`−∞` for empty pixels).
///
/// # Errors
/// As [`log_density_image`]; [`Error::InvalidArgument`] if there are no points.
pub fn torus_histogram(points: &[f64], options: &MapOptions) -> Result<Image> {
    let (w, h) = (options.width, options.height);
    check_picture(w, h)?;
    let n = points.len() / 2;
    if n == 0 {
        return Err(Error::invalid(
            "points",
            0,
            "at least one point to histogram",
        ));
    }
    let mut counts = vec![0usize; w * h];
    for x in points.chunks_exact(2) {
        if !(x[0].is_finite() && x[1].is_finite()) {
            continue;
        }
        let (a, b) = (x[0].rem_euclid(TAU), x[1].rem_euclid(TAU));
        let i = ((a / TAU * w as f64).floor() as usize).min(w - 1);
        let j = (((TAU - b) / TAU * h as f64).floor() as usize).min(h - 1);
        counts[j * w + i] += 1;
    }
    let area = (TAU / w as f64) * (TAU / h as f64);
    let values: Vec<f64> = counts
        .iter()
        .map(|&c| (c as f64 / (n as f64 * area)).ln())
        .collect();
    log_density_image(&values, w, h, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_endpoints_and_monotone_lightness() {
        assert_eq!(viridis(0.0), VIRIDIS_ANCHORS[0]);
        assert_eq!(viridis(1.0), VIRIDIS_ANCHORS[10]);
        assert_eq!(viridis(-3.0), VIRIDIS_ANCHORS[0]);
        assert_eq!(viridis(7.0), VIRIDIS_ANCHORS[10]);
        assert_eq!(viridis(0.5), VIRIDIS_ANCHORS[5]);
        assert_eq!(viridis(f64::NAN), NAN_COLOUR);
        // Rec. 709 luma increases along the map.
        let luma = |c: [u8; 3]| 0.2126 * c[0] as f64 + 0.7152 * c[1] as f64 + 0.0722 * c[2] as f64;
        let mut previous = -1.0;
        for k in 0..=200 {
            let l = luma(viridis(k as f64 / 200.0));
            assert!(l >= previous - 0.5, "luma drops at {k}");
            previous = l;
        }
    }

    #[test]
    fn grids_have_pixel_centres() {
        let g = sphere_grid(4, 2).unwrap();
        assert_eq!(g.len(), 24);
        // Pixel (0, 0): longitude −3π/4, latitude π/4.
        let (lat, lon) = (PI / 4.0, -0.75 * PI);
        let e = [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()];
        for k in 0..3 {
            assert!((g[k] - e[k]).abs() < 1e-15);
        }
        let t = torus_grid(2, 2).unwrap();
        assert_eq!(
            t,
            vec![
                0.5 * PI,
                1.5 * PI,
                1.5 * PI,
                1.5 * PI,
                0.5 * PI,
                0.5 * PI,
                1.5 * PI,
                0.5 * PI
            ]
        );
    }

    #[test]
    fn colour_range_clips_and_validates() {
        let o = MapOptions::default();
        assert_eq!(colour_range(&[-100.0, -1.0, 2.0], &o).unwrap(), (-6.0, 2.0));
        assert_eq!(
            colour_range(&[-1.0, f64::NEG_INFINITY, 2.0, f64::NAN], &o).unwrap(),
            (-1.0, 2.0)
        );
        assert!(colour_range(&[f64::NAN, f64::NEG_INFINITY], &o).is_err());
        let explicit = MapOptions {
            range: Some((1.0, 1.0)),
            ..o.clone()
        };
        assert!(colour_range(&[0.0], &explicit).is_err());
        let (lo, hi) = colour_range(&[3.0, 3.0], &o).unwrap();
        assert!(lo < 3.0 && hi > 3.0);
    }

    #[test]
    fn dots_land_where_the_points_are() {
        let o = MapOptions {
            width: 72,
            height: 36,
            ..MapOptions::default()
        };
        let mut image = sphere_density_map(|_| 0.0, &o).unwrap();
        // The point at latitude 0, longitude 0 is at the centre of the map.
        image.overlay_sphere_points(&[1.0, 0.0, 0.0], 1.5, [255, 0, 0]);
        assert_eq!(image.pixel(36, 18), [255, 0, 0]);
        assert_eq!(image.pixel(35, 17), [255, 0, 0]);
        assert_ne!(image.pixel(10, 10), [255, 0, 0]);
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rdiff-plot-test-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(format!("{name}.png"))
    }

    fn decode(path: &Path) -> (u32, u32, png::ColorType, Vec<u8>) {
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        buffer.truncate(info.buffer_size());
        (info.width, info.height, info.color_type, buffer)
    }

    #[test]
    fn sphere_map_round_trips_through_png() {
        let target = crate::data::targets::builtin_vmf_mixture();
        use crate::data::Target;
        let o = MapOptions {
            width: 180,
            height: 90,
            ..MapOptions::default()
        };
        let mut image = sphere_density_map(|x| target.log_prob(x), &o).unwrap();
        let mut points = vec![0.0; 20 * 3];
        target.sample_batch(1, &mut points).unwrap();
        image.overlay_sphere_points(&points, 1.0, [255, 255, 255]);
        let path = temp_path("sphere");
        image.write_png(&path).unwrap();
        let (w, h, colour, bytes) = decode(&path);
        assert_eq!((w, h, colour), (180, 90, png::ColorType::Rgb));
        assert_eq!(bytes, image.pixels());
        // The brightest colour appears (the global mode) and no temporary file is left behind.
        assert!(bytes.chunks_exact(3).any(|p| p == VIRIDIS_ANCHORS[10]));
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn torus_map_and_histogram_write_valid_pngs() {
        let target = crate::data::targets::builtin_wrapped_normal_mixture();
        use crate::data::Target;
        let o = MapOptions {
            width: 64,
            height: 48,
            ..MapOptions::default()
        };
        let mut image = torus_density_map(|x| target.log_prob(x), &o).unwrap();
        let mut points = vec![0.0; 10 * 2];
        target.sample_batch(2, &mut points).unwrap();
        image.overlay_torus_points(&points, 1.0, [255, 0, 0]);
        let path = temp_path("torus");
        image.write_png(&path).unwrap();
        assert_eq!(decode(&path).0, 64);
        assert_eq!(decode(&path).1, 48);
        let mut points = vec![0.0; 5000 * 3];
        crate::data::targets::builtin_vmf_mixture()
            .sample_batch(3, &mut points)
            .unwrap();
        let hist = sphere_histogram(
            &points,
            &MapOptions {
                width: 36,
                height: 18,
                ..o
            },
        )
        .unwrap();
        hist.write_png(&path).unwrap();
        assert_eq!((decode(&path).0, decode(&path).1), (36, 18));
        // Torus histogram: all points in one pixel give that pixel the brightest colour.
        let one = torus_histogram(
            &[0.1, 0.1, 0.1, 0.1],
            &MapOptions {
                width: 4,
                height: 4,
                ..o
            },
        )
        .unwrap();
        assert_eq!(one.pixel(0, 3), VIRIDIS_ANCHORS[10]);
        assert_eq!(one.pixel(1, 1), VIRIDIS_ANCHORS[0]);
        assert!(torus_histogram(&[], &MapOptions::default()).is_err());
        let big = one.upscaled(3).unwrap();
        assert_eq!((big.width(), big.height()), (12, 12));
        assert_eq!(big.pixel(2, 11), VIRIDIS_ANCHORS[10]);
        assert!(one.upscaled(0).is_err());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn bad_paths_and_sizes_error_cleanly() {
        let image = Image::new(4, 3).unwrap();
        let missing = std::env::temp_dir()
            .join("rdiff-no-such-dir-for-plot-test")
            .join("x.png");
        match image.write_png(&missing) {
            Err(Error::Io { path, .. }) => {
                assert!(path.contains("rdiff-no-such-dir-for-plot-test"))
            }
            other => panic!("expected an Io error, got {other:?}"),
        }
        // A directory as the target: rename fails, and the temporary file is cleaned up.
        let dir = temp_path("dir-target");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(image.write_png(&dir), Err(Error::Io { .. })));
        let parent = dir.parent().unwrap();
        assert_eq!(std::fs::read_dir(parent).unwrap().count(), 1);
        std::fs::remove_dir_all(parent).unwrap();
        assert!(Image::new(0, 3).is_err());
        assert!(log_density_image(&[0.0; 5], 2, 3, &MapOptions::default()).is_err());
        assert!(sphere_histogram(&[], &MapOptions::default()).is_err());
    }
}
