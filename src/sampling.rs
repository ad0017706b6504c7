//! `sampling` (under construction).
