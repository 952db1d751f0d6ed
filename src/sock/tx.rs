//! Batched transmit on AF_PACKET (stub, owned by the send work).
