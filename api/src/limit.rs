//! Backpressure: a bounded queue in front of expensive work. A request is
//! admitted while fewer than `queue` requests are waiting or running;
//! beyond that it gets 503 with Retry-After at once (a command centre
//! wants a fast "busy", not a request that hangs). Admitted requests run
//! `concurrency` at a time and give up their place when they finish or
//! when the client goes away.

use crate::server::ApiError;
use axum::http::StatusCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Limiter {
    what: &'static str,
    permits: Arc<Semaphore>,
    admitted: AtomicUsize,
    queue: usize,
    /// Longest wait for a turn.
    deadline: Duration,
}

/// A place in the queue and, once granted, a turn to run. Dropping it (the
/// work is done, or the client went away) frees both.
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
    _place: Place,
    /// Set when the request's future is dropped: long work checks it.
    pub cancelled: Arc<AtomicBool>,
}

struct Place(Arc<Limiter>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Sets the flag when dropped: held by the handler's future, so a client
/// that goes away cancels the work it started.
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Limiter {
    pub fn new(
        what: &'static str,
        concurrency: usize,
        queue: usize,
        deadline: Duration,
    ) -> Arc<Limiter> {
        Arc::new(Limiter {
            what,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            admitted: AtomicUsize::new(0),
            queue: queue.max(1),
            deadline,
        })
    }

    /// Requests waiting or running now.
    pub fn depth(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    fn busy(&self) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            &format!("{}请求过多，服务繁忙，请稍后重试", self.what),
        )
    }

    pub async fn admit(self: &Arc<Self>) -> Result<Ticket, ApiError> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(self.busy());
        }
        let place = Place(self.clone());
        match tokio::time::timeout(self.deadline, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Ticket {
                _permit: permit,
                _place: place,
                cancelled: Arc::new(AtomicBool::new(false)),
            }),
            _ => Err(self.busy()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn the_queue_is_bounded_and_places_are_given_back() {
        let l = Limiter::new("测试", 1, 2, Duration::from_millis(50));
        let a = l.admit().await.unwrap();
        // Second in the queue waits for the turn and times out: busy.
        let b = l.admit().await;
        assert!(b.is_err());
        assert_eq!(l.depth(), 1, "a refused request leaves no place behind");
        // A full queue refuses at once.
        let l2 = Limiter::new("测试", 1, 1, Duration::from_secs(5));
        let _x = l2.admit().await.unwrap();
        let t = std::time::Instant::now();
        assert!(l2.admit().await.is_err());
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(a);
        assert_eq!(l.depth(), 0);
        assert!(l.admit().await.is_ok());
    }
}
