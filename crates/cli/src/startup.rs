//! Start-up timing: a `debug` event (target `awslab::startup`) at each phase from
//! `main` to the first step, with the microseconds since `main` began
//! (`RUST_LOG=awslab::startup=debug`; each event also carries the wall clock, so a
//! benchmark that notes when it spawned the process gets spawn to first step). Phase
//! names only: nothing here can carry a secret.

use std::sync::OnceLock;
use std::time::Instant;

static BEGAN: OnceLock<Instant> = OnceLock::new();

/// Notes when `main` began (the first call wins).
pub fn begin() {
    BEGAN.get_or_init(Instant::now);
}

/// Says that `phase` is done.
pub fn mark(phase: &'static str) {
    let since_main_us = BEGAN.get().map_or(0, |began| began.elapsed().as_micros());
    tracing::debug!(phase, since_main_us, "startup");
}
