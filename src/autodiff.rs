//! `autodiff` (under construction).
