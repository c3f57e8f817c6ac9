//! `readwriteconf` and `addconn --checkconfig`: ipsec.conf tools built on `ipsec-conf`.
