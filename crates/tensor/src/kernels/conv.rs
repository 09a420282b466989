//! Convolution kernels (im2col / col2im).
