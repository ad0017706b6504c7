//! `nn` (under construction).
