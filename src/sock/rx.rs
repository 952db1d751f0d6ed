//! TPACKET_V3 receive ring (stub, owned by the capture work).
