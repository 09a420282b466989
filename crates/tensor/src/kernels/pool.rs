//! Pooling kernels.
