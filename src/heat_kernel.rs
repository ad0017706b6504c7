//! `heat_kernel` (under construction).
