//! The kernel datapath: ESP SAs and policies installed through XFRM netlink (`xfrm-sys`).
//!
//! Each established pair gets two SAs (outbound to the peer, inbound to us) and three tunnel
//! policies: `out` for local subnet to remote subnet, `in` and `fwd` for the way back, all tied
//! to the SAs by one reqid. A route sends the remote subnet out through the interface that
//! reaches the peer, so that the kernel's output path meets the `out` policy.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use ike_sm::{ChildSa, EspCipher, EspIntegrity, EspSaParams, Subnet};
use tracing::{info, warn};
use xfrm_sys::{
    names, AeadAlgorithm, Algorithm, AuthAlgorithm, Direction, IpProtocol, Mode, PolicySpec, SaId,
    SaSpec, Selector, Template, XfrmSocket,
};

/// ICV length of `ESP_AES-GCM_16` in bits (RFC 4106).
const GCM_ICV_BITS: u32 = 128;

/// First reqid this daemon uses; one per SA pair after it.
const FIRST_REQID: u32 = 16_384;

/// Priority of our tunnel policies (lower wins), the value `ip xfrm` uses for a /24 pair.
const POLICY_PRIORITY: u32 = 2_000;

/// The SAs and policies of one SA pair, kept to remove them again.
struct Installed {
    conn: String,
    serial: u32,
    sas: [SaId; 2],
    policies: Vec<PolicySpec>,
}

/// SAs and policies in the kernel.
pub struct KernelDatapath {
    socket: Mutex<XfrmSocket>,
    next_reqid: AtomicU32,
    installed: Mutex<Vec<Installed>>,
}

impl KernelDatapath {
    /// Opens the XFRM socket.
    pub fn open() -> Result<KernelDatapath, String> {
        let socket =
            XfrmSocket::open().map_err(|error| format!("open the XFRM netlink socket: {error}"))?;
        Ok(KernelDatapath {
            socket: Mutex::new(socket),
            next_reqid: AtomicU32::new(FIRST_REQID),
            installed: Mutex::new(Vec::new()),
        })
    }

    /// Installs both SAs and the policies of a new pair, and routes the remote subnet.
    pub fn install(&self, child: &ChildSa) -> Result<(), String> {
        let reqid = self.next_reqid.fetch_add(1, Ordering::Relaxed);
        let outbound = sa_spec(&child.outbound, reqid, child.encapsulation)?;
        let inbound = sa_spec(
            &child.inbound,
            reqid,
            child.encapsulation.map(|(local, remote)| (remote, local)),
        )?;
        let local = child.outbound.src.ip();
        let peer = child.outbound.dst.ip();
        let policies = vec![
            policy(
                child.local_subnet,
                child.remote_subnet,
                Direction::OUT,
                local,
                peer,
                reqid,
            ),
            policy(
                child.remote_subnet,
                child.local_subnet,
                Direction::IN,
                peer,
                local,
                reqid,
            ),
            policy(
                child.remote_subnet,
                child.local_subnet,
                Direction::FWD,
                peer,
                local,
                reqid,
            ),
        ];

        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        socket
            .add_sa(&outbound)
            .map_err(|error| format!("add the outbound SA: {error}"))?;
        socket
            .add_sa(&inbound)
            .map_err(|error| format!("add the inbound SA: {error}"))?;
        for policy in &policies {
            socket
                .update_policy(policy)
                .map_err(|error| format!("add a policy: {error}"))?;
        }
        drop(socket);
        route_via_peer(&child.remote_subnet, peer)?;

        self.installed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Installed {
                conn: child.conn.clone(),
                serial: child.serial,
                sas: [outbound.sa_id(), inbound.sa_id()],
                policies,
            });
        info!(
            conn = %child.conn,
            serial = child.serial,
            reqid,
            outbound_spi = format_args!("{:#010x}", child.outbound.spi),
            inbound_spi = format_args!("{:#010x}", child.inbound.spi),
            "ESP SAs and policies installed in the kernel"
        );
        Ok(())
    }

    /// Removes one pair's SAs. The policies stay while a newer pair of the conn uses them.
    pub fn remove(&self, conn: &str, serial: u32) {
        let mut installed = self.installed.lock().unwrap_or_else(|p| p.into_inner());
        let Some(index) = installed
            .iter()
            .position(|entry| entry.conn == conn && entry.serial == serial)
        else {
            return;
        };
        let entry = installed.remove(index);
        let newer_exists = installed.iter().any(|other| other.conn == conn);
        drop(installed);
        self.delete(&entry, !newer_exists);
    }

    /// Removes every SA and policy of `conn`.
    pub fn remove_conn(&self, conn: &str) {
        let mut installed = self.installed.lock().unwrap_or_else(|p| p.into_inner());
        let (gone, kept): (Vec<_>, Vec<_>) =
            installed.drain(..).partition(|entry| entry.conn == conn);
        *installed = kept;
        drop(installed);
        for entry in &gone {
            self.delete(entry, true);
        }
    }

    /// Removes everything this daemon installed, at shutdown.
    pub fn remove_all(&self) {
        let entries: Vec<Installed> = self
            .installed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for entry in &entries {
            self.delete(entry, true);
        }
    }

    fn delete(&self, entry: &Installed, with_policies: bool) {
        let mut socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        for id in &entry.sas {
            if let Err(error) = socket.delete_sa(id) {
                warn!(conn = %entry.conn, serial = entry.serial, %error, "delete a kernel SA failed");
            }
        }
        if with_policies {
            for policy in &entry.policies {
                let _ = socket.delete_policy(&policy.policy_id());
            }
        }
    }
}

fn sa_spec(
    params: &EspSaParams,
    reqid: u32,
    encapsulation: Option<(u16, u16)>,
) -> Result<SaSpec, String> {
    let mut spec = SaSpec::new(
        params.src.ip(),
        params.dst.ip(),
        IpProtocol::ESP,
        params.spi,
        Mode::TUNNEL,
    );
    spec.reqid = reqid;
    spec.replay_window = 32;
    let invalid = |error: xfrm_sys::algorithm::InvalidAlgorithmName| error.to_string();
    if let EspCipher::AesGcm16 { .. } = params.cipher {
        // RFC 4106 in the kernel: the key is the AES key followed by the salt; no separate
        // integrity algorithm.
        spec.aead = Some(
            AeadAlgorithm::new(names::RFC4106_GCM_AES, &params.enc_key, GCM_ICV_BITS)
                .map_err(invalid)?,
        );
        if let Some((src_port, dst_port)) = encapsulation {
            spec.encap = Some(xfrm_sys::Encap::esp_in_udp(src_port, dst_port));
        }
        return Ok(spec);
    }
    spec.encryption = Some(match params.cipher {
        EspCipher::TripleDesCbc => {
            Algorithm::new(names::CBC_DES3_EDE, &params.enc_key).map_err(invalid)?
        }
        EspCipher::AesCbc { .. } => {
            Algorithm::new(names::CBC_AES, &params.enc_key).map_err(invalid)?
        }
        EspCipher::Null | EspCipher::AesGcm16 { .. } => {
            Algorithm::new(names::ECB_CIPHER_NULL, &[]).map_err(invalid)?
        }
    });
    let (name, bits) = match params.integrity {
        EspIntegrity::HmacMd5 => (names::HMAC_MD5, 96),
        EspIntegrity::HmacSha1 => (names::HMAC_SHA1, 96),
        EspIntegrity::HmacSha2_256 => (names::HMAC_SHA256, 128),
        EspIntegrity::HmacSha2_384 => (names::HMAC_SHA384, 192),
        EspIntegrity::HmacSha2_512 => (names::HMAC_SHA512, 256),
        EspIntegrity::None => return Err("an ESP SA without integrity needs AES-GCM".to_owned()),
    };
    spec.authentication =
        Some(AuthAlgorithm::new(name, &params.auth_key, Some(bits)).map_err(invalid)?);
    // NOTE: the SA takes the UDP encapsulation, but the daemon's port 4500 socket is not set to
    // UDP_ENCAP_ESPINUDP, so the kernel never receives inbound ESP in UDP; NAT-T needs the userspace
    // datapath for now.
    if let Some((src_port, dst_port)) = encapsulation {
        spec.encap = Some(xfrm_sys::Encap::esp_in_udp(src_port, dst_port));
    }
    Ok(spec)
}

fn policy(
    src: Subnet,
    dst: Subnet,
    direction: Direction,
    tunnel_src: IpAddr,
    tunnel_dst: IpAddr,
    reqid: u32,
) -> PolicySpec {
    let selector = Selector::subnets(src.addr, src.prefix_len, dst.addr, dst.prefix_len);
    let mut spec = PolicySpec::new(selector, direction);
    spec.priority = POLICY_PRIORITY;
    spec.templates =
        vec![Template::tunnel(IpProtocol::ESP, tunnel_src, tunnel_dst).with_reqid(reqid)];
    spec
}

/// Routes `subnet` the way the peer is reached (`ip route get PEER`), so that traffic for it
/// leaves through the outside interface and meets the `out` policy.
fn route_via_peer(subnet: &Subnet, peer: IpAddr) -> Result<(), String> {
    let route =
        crate::netns::ip(&["route", "get", &peer.to_string()]).map_err(|e| e.to_string())?;
    let words: Vec<&str> = route.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|word| *word == key)
            .and_then(|index| words.get(index + 1))
            .copied()
    };
    let device = after("dev").ok_or_else(|| format!("no route to the peer {peer}"))?;
    let subnet = subnet.to_string();
    let mut args = vec!["route", "replace", subnet.as_str(), "dev", device];
    if let Some(gateway) = after("via") {
        args.extend(["via", gateway]);
    }
    crate::netns::ip(&args)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// True when the kernel can install ESP SAs.
pub fn kernel_has_esp() -> bool {
    xfrm_sys::probe_esp()
}
