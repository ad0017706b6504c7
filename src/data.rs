//! `data` (under construction).
