//! `likelihood` (under construction).
