//! Writes seed inputs for the `xfrm_netlink` fuzz target: one netlink datagram per file, of the
//! kinds the kernel sends (SA and policy dumps, events, errors with extended acks).
//!
//! Usage: `cargo run -p xfrm-sys --example xfrm_fuzz_seeds -- DIRECTORY`

use std::net::IpAddr;
use std::path::PathBuf;

use xfrm_sys::netlink::{ErrorMessage, NetlinkHeader, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI};
use xfrm_sys::{
    names, AeadAlgorithm, Algorithm, AuthAlgorithm, Direction, Encap, IpProtocol, Mark, Mode,
    NetlinkMessage, Payload, PolicySpec, ReplayEsn, ReplayState, SaFlags, SaSpec, Selector,
    Template, XfrmMessage,
};

fn ip(text: &str) -> IpAddr {
    text.parse().expect("seed address is valid")
}

fn reply(message: XfrmMessage, flags: u16) -> NetlinkMessage {
    let mut reply = NetlinkMessage::request(message, 1);
    reply.header.flags = flags;
    reply
}

fn main() -> std::io::Result<()> {
    let directory = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus/xfrm_netlink".into()),
    );
    std::fs::create_dir_all(&directory)?;

    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x1000,
        Mode::TUNNEL,
    );
    sa.selector = Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16);
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &[1; 16]).expect("valid name"));
    sa.authentication =
        Some(AuthAlgorithm::new(names::HMAC_SHA1, &[2; 20], Some(96)).expect("valid name"));
    sa.encap = Some(Encap::esp_in_udp(4500, 4500));
    sa.replay_state = Some(ReplayState::default());
    sa.mark = Some(Mark {
        value: 1,
        mask: 0xff,
    });
    sa.if_id = Some(2);

    let mut esn = SaSpec::new(
        ip("2001:db8::1"),
        ip("2001:db8::2"),
        IpProtocol::ESP,
        0x2000,
        Mode::TRANSPORT,
    );
    esn.flags = SaFlags::ESN;
    esn.aead = Some(AeadAlgorithm::new(names::RFC4106_GCM_AES, &[3; 20], 128).expect("valid name"));
    esn.replay_esn = Some(ReplayEsn {
        bitmap: vec![0; 4],
        ..ReplayEsn::with_window(128)
    });

    let mut policy = PolicySpec::new(
        Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16),
        Direction::OUT,
    );
    policy.templates =
        vec![Template::tunnel(IpProtocol::ESP, ip("192.0.2.1"), ip("192.0.2.2")).with_reqid(1)];
    policy.mark = Some(Mark {
        value: 3,
        mask: 0xf,
    });

    let sa_dump = [
        reply(XfrmMessage::NewSa(sa.clone()), NLM_F_MULTI).to_bytes(),
        reply(XfrmMessage::NewSa(esn.clone()), NLM_F_MULTI).to_bytes(),
        NetlinkMessage {
            header: NetlinkHeader {
                message_type: xfrm_sys::netlink::NLMSG_DONE,
                flags: NLM_F_MULTI,
                ..NetlinkHeader::default()
            },
            payload: Payload::Done(0),
        }
        .to_bytes(),
    ]
    .concat();
    let error = NetlinkMessage {
        header: NetlinkHeader {
            message_type: xfrm_sys::netlink::NLMSG_ERROR,
            flags: NLM_F_CAPPED | NLM_F_ACK_TLVS,
            ..NetlinkHeader::default()
        },
        payload: Payload::Error(ErrorMessage {
            error: -93,
            request: NetlinkHeader {
                length: 328,
                message_type: 0x10,
                flags: 5,
                sequence: 1,
                port_id: 0,
            },
            message: Some("Requested type not found".into()),
        }),
    };

    let seeds = [
        ("sa_dump", sa_dump),
        (
            "policy",
            reply(XfrmMessage::NewPolicy(policy.clone()), NLM_F_MULTI).to_bytes(),
        ),
        ("error_ext_ack", error.to_bytes()),
        ("sa_esn", reply(XfrmMessage::UpdateSa(esn), 0).to_bytes()),
        (
            "sa_delete",
            reply(XfrmMessage::DeleteSa(sa.sa_id()), 0).to_bytes(),
        ),
        (
            "policy_delete",
            reply(XfrmMessage::DeletePolicy(policy.policy_id()), 0).to_bytes(),
        ),
    ];
    for (name, bytes) in seeds {
        std::fs::write(directory.join(name), bytes)?;
    }
    Ok(())
}
