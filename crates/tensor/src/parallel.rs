//! Thread count of the kernels.
//!
//! Kernels (GEMM, convolution, pooling, large elementwise maps) run on one rayon thread pool
//! owned by this crate. By default it has one thread per core, or `YOUSHI_NUM_THREADS` if that
//! environment variable is set when the pool is first used. [`set_num_threads`] replaces it,
//! like `torch.set_num_threads`; one thread gives reproducible single-core measurements.

use std::sync::{Arc, RwLock};

use rayon::ThreadPool;

use crate::error::{Result, TensorError};

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

fn default_threads() -> usize {
    std::env::var("YOUSHI_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

fn build(n: usize) -> Result<Arc<ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("youshi-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| {
            TensorError::invalid("set_num_threads", format!("cannot start {n} threads: {e}"))
        })
}

pub(crate) fn pool() -> Arc<ThreadPool> {
    if let Some(p) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return p.clone();
    }
    let mut guard = POOL.write().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = guard.as_ref() {
        return p.clone();
    }
    let n = default_threads();
    // A failure to spawn threads at first use falls back to a one-thread pool; if even that
    // fails the machine cannot run threads at all, which is not a user-input error.
    let p = build(n)
        .or_else(|_| build(1))
        .expect("youshi: cannot start even one kernel thread");
    *guard = Some(p.clone());
    p
}

/// Sets the number of threads the kernels use; `0` means one per core.
///
/// Work already running keeps its pool; calls made after this one use the new pool.
///
/// # Errors
/// [`TensorError::InvalidArgument`] if the operating system refuses to start the threads.
///
/// # Examples
/// ```
/// youshi_tensor::set_num_threads(1)?;
/// assert_eq!(youshi_tensor::num_threads(), 1);
/// youshi_tensor::set_num_threads(0)?;
/// # Ok::<(), youshi_tensor::TensorError>(())
/// ```
pub fn set_num_threads(n: usize) -> Result<()> {
    let n = if n == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        n
    };
    let p = build(n)?;
    *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(p);
    Ok(())
}

/// The number of threads the kernels currently use.
pub fn num_threads() -> usize {
    pool().current_num_threads()
}

/// Runs `f` inside the kernel pool, so rayon calls in `f` use its threads.
pub(crate) fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let p = pool();
    if p.current_thread_index().is_some() {
        // Already on one of our workers: run inline, rayon calls use this pool.
        return f();
    }
    p.install(f)
}

/// Threads of the kernel pool; kernels split their work into about this many pieces.
pub(crate) fn threads() -> usize {
    pool().current_num_threads()
}
