//! `schedule` (under construction).
