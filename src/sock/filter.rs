//! tcpdump-syntax filters compiled to classic BPF (stub, owned by the capture work).
