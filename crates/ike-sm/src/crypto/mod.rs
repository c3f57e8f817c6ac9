//! IKEv1 cryptography: PRFs, Diffie-Hellman groups, phase 1 ciphers and the RFC 2409 key derivation.
