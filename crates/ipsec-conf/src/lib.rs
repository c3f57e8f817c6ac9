//! Openswan ipsec.conf and ipsec.secrets parser.
#![forbid(unsafe_code)]
