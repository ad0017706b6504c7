//! `train` (under construction).
