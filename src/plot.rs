//! `plot` (under construction).
