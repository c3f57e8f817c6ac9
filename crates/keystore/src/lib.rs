//! RSA keys in Openswan formats, key ids and IKEv1 signatures.
#![forbid(unsafe_code)]
