//! ESP (RFC 4303) packet transforms, security associations, anti-replay and selectors.
#![forbid(unsafe_code)]
