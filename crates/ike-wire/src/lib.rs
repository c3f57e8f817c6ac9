//! ISAKMP/IKEv1 message codec (RFC 2407, 2408, 2409, 3947, 3706).
#![forbid(unsafe_code)]
