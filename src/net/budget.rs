//! A per-peer budget of bytes read, refilled at a steady rate: a peer that sends more than its
//! share is slowed, not served ahead of the others, and cannot make this node read without bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// Bytes a peer may send at once after a quiet spell.
pub const BURST_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Bytes per second a peer may send over time.
pub const RATE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// One peer's budget (cloned handles share it).
#[derive(Debug, Clone)]
pub struct Budget(Arc<Mutex<State>>);

#[derive(Debug)]
struct State {
    available: f64,
    at: Instant,
}

impl Default for Budget {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(State {
            available: BURST_BYTES,
            at: Instant::now(),
        })))
    }
}

impl Budget {
    /// Charges `bytes` already read; waits until the budget has recovered if it is overdrawn.
    pub async fn spend(&self, bytes: usize) {
        let mut state = self.0.lock().await;
        let now = Instant::now();
        let refill = now.duration_since(state.at).as_secs_f64() * RATE_BYTES;
        state.available = (state.available + refill).min(BURST_BYTES) - bytes as f64;
        state.at = now;
        if state.available < 0.0 {
            let wait = Duration::from_secs_f64(-state.available / RATE_BYTES);
            tokio::time::sleep(wait).await;
        }
    }
}
