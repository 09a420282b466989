//! Naive reference kernels on row-major slices.
