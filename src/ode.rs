//! `ode` (under construction).
