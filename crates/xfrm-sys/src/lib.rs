//! Typed Linux XFRM netlink API for IPsec SAs and policies.
