//! Convolution and pooling benchmarks.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

fn main() {}
