//! Heat kernels and exact samplers on product manifolds (`ProductHeatKernel`,
//! `ProductHeatKernelSampler`): the kernel of a Riemannian product is the product of the
//! factors' kernels, and its Brownian motion is the tuple of independent factor motions.

use riemannian_diffusion::manifold::{
    Manifold, Product, SpecialOrthogonal, SpecialUnitary, Sphere,
};
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::registry::{auto_kernel, auto_sampler};
use std::sync::Arc;

fn so3_times_s2() -> Product {
    Product::new(vec![
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
        Arc::new(Sphere::new(2).unwrap()),
    ])
    .unwrap()
}

/// `log p` is the sum of the factors' `log p` and the score their concatenation, exactly (the
/// same floating-point operations in the same order).
#[test]
fn product_kernel_is_the_product_of_the_factor_kernels() {
    let product = so3_times_s2();
    let kernel = auto_kernel(&product).unwrap();
    let so3 = auto_kernel(&SpecialOrthogonal::new(3).unwrap()).unwrap();
    let s2 = auto_kernel(&Sphere::new(2).unwrap()).unwrap();
    let mut rng = rng_from_seed(3);
    let n = product.ambient_dim();
    let (mut x0, mut x) = (vec![0.0; n], vec![0.0; n]);
    for t in [1e-3, 0.1, 1.0, 10.0] {
        product.sample_uniform(&mut rng, &mut x0);
        product.sample_uniform(&mut rng, &mut x);
        let mut score = vec![0.0; n];
        let e = kernel.score(&x0, &x, t, &mut score).unwrap();
        let (mut s1, mut s2v) = (vec![0.0; 9], vec![0.0; 3]);
        let e1 = so3.score(&x0[..9], &x[..9], t, &mut s1).unwrap();
        let e2 = s2.score(&x0[9..], &x[9..], t, &mut s2v).unwrap();
        assert_eq!(e.log_prob, e1.log_prob + e2.log_prob, "t = {t}");
        assert_eq!(e.terms, e1.terms + e2.terms);
        assert_eq!(&score[..9], &s1[..]);
        assert_eq!(&score[9..], &s2v[..]);
        assert_eq!(kernel.log_prob(&x0, &x, t).unwrap().log_prob, e.log_prob);
    }
}

/// Exact product sampling: factor marginals have the exact moments `E[tr g] = 3e^{−t}` (SO(3),
/// defining representation, Casimir 2 in the ½tr metric) and `E[cos θ] = e^{−t}` (S², ℓ = 1),
/// and the factors are uncorrelated. n = 8000 draws at t = 0.5; each of the 3 z-statistics is
/// tested at |z| < 3.891 (two-sided α = 1e-4, family-wise ≤ 3e-4).
#[test]
fn product_sampler_has_exact_independent_marginals() {
    let product = so3_times_s2();
    let sampler = auto_sampler(&product).unwrap();
    let n = product.ambient_dim();
    let rows = 8000;
    let t = 0.5;
    let mut x0 = vec![0.0; n];
    x0[0] = 1.0;
    x0[4] = 1.0;
    x0[8] = 1.0;
    x0[11] = 1.0; // S² north pole
    let mut out = vec![0.0; rows * n];
    sampler.sample_batch(&x0, &[t], 17, &mut out).unwrap();
    let traces: Vec<f64> = out.chunks_exact(n).map(|r| r[0] + r[4] + r[8]).collect();
    let cosines: Vec<f64> = out.chunks_exact(n).map(|r| r[11]).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let z_mean = |v: &[f64], exact: f64| {
        let m = mean(v);
        let var = v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (v.len() - 1) as f64;
        (m - exact) / (var / v.len() as f64).sqrt()
    };
    let z_trace = z_mean(&traces, 3.0 * (-t).exp());
    let z_cos = z_mean(&cosines, (-t).exp());
    let (mt, mc) = (mean(&traces), mean(&cosines));
    let products: Vec<f64> = traces
        .iter()
        .zip(&cosines)
        .map(|(a, b)| (a - mt) * (b - mc))
        .collect();
    let z_cov = z_mean(&products, 0.0);
    for (name, z) in [("E tr g", z_trace), ("E cos θ", z_cos), ("cov", z_cov)] {
        assert!(z.abs() < 3.891, "{name}: z = {z}");
    }
    // every row lies on the product manifold
    for r in out.chunks_exact(n) {
        product.check_point(r, 1e-10).unwrap();
    }
}

/// `auto_kernel` / `auto_sampler` accept nested products and powers, and refuse a bad time.
#[test]
fn nested_products_and_bad_input() {
    let inner = Product::power(Arc::new(SpecialUnitary::new(2).unwrap()), 2).unwrap();
    let nested = Product::new(vec![Arc::new(inner), Arc::new(Sphere::new(3).unwrap())]).unwrap();
    let kernel = auto_kernel(&nested).unwrap();
    let sampler = auto_sampler(&nested).unwrap();
    assert_eq!(kernel.manifold().ambient_dim(), nested.ambient_dim());
    let mut rng = rng_from_seed(5);
    let mut x0 = vec![0.0; nested.ambient_dim()];
    nested.sample_uniform(&mut rng, &mut x0);
    let mut x = vec![0.0; nested.ambient_dim()];
    sampler.sample(&x0, 0.3, &mut rng, &mut x).unwrap();
    assert!(kernel.log_prob(&x0, &x, 0.3).unwrap().log_prob.is_finite());
    assert!(kernel.log_prob(&x0, &x, 0.0).is_err());
    assert!(kernel.log_prob(&x0, &x, f64::NAN).is_err());
    assert!(kernel.log_prob(&x0[1..], &x, 0.3).is_err());
    assert!(sampler.sample(&x0, -1.0, &mut rng, &mut x).is_err());
}
