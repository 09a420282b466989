//! Recurrent layers: RNN, LSTM and GRU with PyTorch's options, names and layouts.
