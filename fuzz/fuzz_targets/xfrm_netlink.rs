//! Parses arbitrary bytes as a datagram from a NETLINK_XFRM socket. Parsing must never panic,
//! and every XFRM message that parses must survive emit-and-parse unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xfrm_sys::{NetlinkMessage, Payload};

fuzz_target!(|data: &[u8]| {
    let Ok(messages) = NetlinkMessage::parse_datagram(data) else {
        return;
    };
    for message in messages {
        let bytes = message.to_bytes();
        let reparsed = NetlinkMessage::parse_datagram(&bytes);
        if !matches!(message.payload, Payload::Xfrm(_)) {
            // Control messages (errors, acks, done) only have to parse without panicking.
            continue;
        }
        let reparsed = reparsed.expect("an emitted XFRM message parses");
        assert_eq!(reparsed.len(), 1, "one message in, one message out");
        assert_eq!(reparsed[0].to_bytes(), bytes, "emit and parse are stable after one round");
    }
});
