"""JAX peer of benches/dsm_step.rs (variant `network_adam`): one DSM training step of the
same MLP, with the same loss form, Adam update and shapes, in float64 on the CPU.

Network: features [x (3), sigma (1)] -> 5 hidden layers of 512 (SiLU) -> 3, He-normal init.
Loss: mean_r || P_{x_r} net(x_r, sigma_r) - sigma_r * target_r ||^2 with P_x = I - x x^T,
which equals mean_r sigma_r^2 || s_theta(x_r, sigma_r) - target_r ||^2 for
s_theta = P_x net / sigma (the Rust crate's DSM loss). Targets are precomputed tangent vectors,
as in the Rust `network_adam` variant, so both sides time the network forward + backward + Adam.
Adam: beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected (optax.adam's formula), lr 2e-4.

Timing: jit-compiled step (parameters and Adam moments donated, so updates are in place),
warm-up steps, then the median (and quartiles) over many individually timed steps, each
ended with block_until_ready. Prints ms/step.

Usage: python3 benches/peer/dsm_step_jax.py [--steps 60] [--warmup 10] [--batch 512]
"""

import argparse
import os
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

WIDTH = 512
HIDDEN_LAYERS = 5
AMBIENT = 3
SIGMA_MIN, SIGMA_MAX = 1e-3, 2.0
LR, BETA1, BETA2, EPS = 2e-4, 0.9, 0.999, 1e-8


def init_params(key):
    sizes = [AMBIENT + 1] + [WIDTH] * HIDDEN_LAYERS + [AMBIENT]
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        key, sub = jax.random.split(key)
        last = i == len(sizes) - 2
        std = np.sqrt(2.0 / (fan_in + fan_out)) if last else np.sqrt(2.0 / fan_in)
        w = std * jax.random.normal(sub, (fan_in, fan_out), dtype=jnp.float64)
        b = jnp.zeros((fan_out,), dtype=jnp.float64)
        params.append((w, b))
    return params


def network(params, features):
    h = features
    for w, b in params[:-1]:
        h = jax.nn.silu(h @ w + b)
    w, b = params[-1]
    return h @ w + b


def loss_fn(params, x, sigma, target):
    y = network(params, jnp.concatenate([x, sigma], axis=1))
    projected = y - jnp.sum(x * y, axis=1, keepdims=True) * x
    residual = projected - sigma * target
    return jnp.mean(jnp.sum(residual * residual, axis=1))


def adam_update(params, grads, m, v, step):
    c1 = 1.0 - BETA1 ** step
    c2 = 1.0 - BETA2 ** step
    m = jax.tree_util.tree_map(lambda m_, g: BETA1 * m_ + (1.0 - BETA1) * g, m, grads)
    v = jax.tree_util.tree_map(lambda v_, g: BETA2 * v_ + (1.0 - BETA2) * g * g, v, grads)
    params = jax.tree_util.tree_map(
        lambda p, m_, v_: p - LR * (m_ / c1) / (jnp.sqrt(v_ / c2) + EPS), params, m, v
    )
    return params, m, v


def train_step(params, m, v, step, x, sigma, target):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, sigma, target)
    params, m, v = adam_update(params, grads, m, v, step)
    return params, m, v, loss


step_fn = jax.jit(train_step, donate_argnums=(0, 1, 2))


def batch(rng, n):
    x = rng.standard_normal((n, AMBIENT))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    s = rng.uniform(0.0, 1.0, (n, 1))
    sigma = SIGMA_MIN ** (1.0 - s) * SIGMA_MAX ** s
    t = rng.standard_normal((n, AMBIENT))
    t -= np.sum(t * x, axis=1, keepdims=True) * x
    target = t / sigma
    return jnp.asarray(x), jnp.asarray(sigma), jnp.asarray(target)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--batch", type=int, default=512)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x, sigma, target = batch(rng, args.batch)
    params = init_params(jax.random.PRNGKey(0))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    n_params = sum(w.size + b.size for w, b in params)
    macs = sum(w.size for w, _ in params)
    flops = 6 * args.batch * macs  # forward 2, backward 4 (input and weight gradients)

    k = 0
    for _ in range(args.warmup):
        k += 1
        params, m, v, loss = step_fn(params, m, v, float(k), x, sigma, target)
    jax.block_until_ready(params)
    times = []
    for _ in range(args.steps):
        k += 1
        t0 = time.perf_counter()
        params, m, v, loss = step_fn(params, m, v, float(k), x, sigma, target)
        jax.block_until_ready((params, loss))
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    q = statistics.quantiles(times, n=4)
    print(f"jax {jax.__version__}, devices {jax.devices()}, cpu count {os.cpu_count()}")
    print(f"batch {args.batch}, params {n_params}, flops/step (6*B*MACs) {flops / 1e9:.3f} GFLOP")
    print(f"final loss {float(loss):.6f}")
    print(
        f"dsm_step_jax: median {med * 1e3:.2f} ms/step (quartiles {q[0] * 1e3:.2f} .. {q[2] * 1e3:.2f}), "
        f"{flops / med / 1e9:.1f} GFLOP/s over {args.steps} steps"
    )


if __name__ == "__main__":
    main()
