//! `linalg` (under construction).
