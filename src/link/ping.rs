//! ICMP echo (work in progress).
