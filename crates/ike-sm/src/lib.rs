//! Sans-IO IKEv1 negotiation engine.
#![forbid(unsafe_code)]

pub mod crypto;
