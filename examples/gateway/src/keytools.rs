//! `rsasigkey`, `showhostkey` and `ranbits`: key tools built on `keystore`.
