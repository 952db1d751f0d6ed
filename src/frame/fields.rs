//! tshark-style field extraction (`-T fields -e ip.src`). (Stub: owned by the capture work.)
