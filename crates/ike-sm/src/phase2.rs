//! Quick Mode (RFC 2409 5.5) and the IPsec SA pairs it creates.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use ike_wire::{
    EncapsulationMode, ExchangeType, Header, IdType, Identification, NotifyType, Payload,
    PayloadType, ISAKMP_VERSION_1_0,
};
use tracing::debug;
use zeroize::Zeroizing;

use crate::config::{ConnectionConfig, DhGroupId, EspProposal, IpsecMode, Subnet};
use crate::crypto::{kdf, DhGroup, DhPrivate, KeyedPrf, Secret};
use crate::endpoint::Endpoint;
use crate::engine::{
    bytes_after_first_payload, replace_deadline, Phase1Keys, Retransmit, RngRef, Sent,
};
use crate::event::{ChildSa, EspSaParams, Event, OriginalAddresses};
use crate::names::{self, StateName};
use crate::natt;
use crate::phase1::{constant_time_eq, IsakmpSa};
use crate::proposal::{self, EspChoice, EspOfferParams};

/// Length of the Quick Mode nonces we send.
const NONCE_LEN: usize = 32;

/// Protocol number of ESP in KEYMAT (RFC 2409 5.5: the protocol of the SA).
const PROTOCOL_ESP: u8 = 3;

/// One Quick Mode exchange and the IPsec SA pair it produced.
pub(crate) struct IpsecSa {
    pub(crate) serial: u32,
    pub(crate) conn: String,
    /// Serial of the ISAKMP SA protecting the exchange.
    pub(crate) isakmp: u32,
    pub(crate) state: StateName,
    pub(crate) message_id: u32,
    /// CBC IV of this message ID's chain.
    pub(crate) iv: Vec<u8>,
    pub(crate) ni: Vec<u8>,
    pub(crate) nr: Vec<u8>,
    pub(crate) dh: Option<DhPrivate>,
    pub(crate) gxy: Option<Secret>,
    pub(crate) our_spi: u32,
    pub(crate) peer_spi: Option<u32>,
    pub(crate) choice: Option<EspChoice>,
    /// Encapsulation mode the initiator proposed, or the responder chose.
    pub(crate) encapsulation_mode: EncapsulationMode,
    /// The peer's original addresses from its NAT-OA payloads.
    pub(crate) nat_oa: Option<OriginalAddresses>,
    pub(crate) local_subnet: Subnet,
    pub(crate) remote_subnet: Subnet,
    pub(crate) ids: Option<(Identification, Identification)>,
    pub(crate) lifetime: Duration,
    pub(crate) last_in: Vec<u8>,
    pub(crate) last_out: Option<Sent>,
    pub(crate) retransmit: Option<Retransmit>,
    pub(crate) replace_at: Option<Instant>,
    pub(crate) expire_at: Option<Instant>,
    pub(crate) replaces: Option<u32>,
}

impl IpsecSa {
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        [
            self.retransmit.as_ref().map(|r| r.at),
            self.replace_at,
            self.expire_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub(crate) fn next_event(&self) -> Option<(&'static str, Instant)> {
        if let Some(r) = &self.retransmit {
            return Some(("EVENT_RETRANSMIT", r.at));
        }
        if let Some(at) = self.replace_at {
            return Some(("EVENT_SA_REPLACE", at));
        }
        self.expire_at.map(|at| ("EVENT_SA_EXPIRE", at))
    }

    pub(crate) fn is_established(&self) -> bool {
        matches!(self.state, StateName::QuickI2 | StateName::QuickR2)
    }
}

/// Returns the IPsec mode of an encapsulation mode: transport for the plain and the
/// UDP-encapsulated transport values, tunnel otherwise.
fn ipsec_mode(mode: EncapsulationMode) -> IpsecMode {
    if mode.is_transport() {
        IpsecMode::Transport
    } else {
        IpsecMode::Tunnel
    }
}

/// Reports whether `mode` is UDP-encapsulated transport, the one mode with NAT-OA payloads.
fn is_udp_transport(mode: EncapsulationMode) -> bool {
    mode.is_transport() && mode.is_udp_encapsulated()
}

/// Returns the encapsulation mode that a connection in `mode` proposes and accepts: plain
/// tunnel or transport, or their UDP-encapsulated variant of NAT-T method `natt` once the
/// ISAKMP SA floated.
fn configured_encapsulation(
    mode: IpsecMode,
    natt: Option<natt::NattMethod>,
    encapsulated: bool,
) -> EncapsulationMode {
    match (mode, natt.filter(|_| encapsulated)) {
        (IpsecMode::Tunnel, Some(method)) => method.udp_tunnel_mode(),
        (IpsecMode::Transport, Some(method)) => method.udp_transport_mode(),
        (IpsecMode::Tunnel, None) => EncapsulationMode::TUNNEL,
        (IpsecMode::Transport, None) => EncapsulationMode::TRANSPORT,
    }
}

/// Encodes a subnet as a Quick Mode client ID (RFC 2407 4.6.2): an address for a host subnet,
/// otherwise address and mask.
fn subnet_id(subnet: &Subnet) -> Identification {
    let host = subnet.prefix_len == if subnet.addr.is_ipv4() { 32 } else { 128 };
    let (id_type, mut data) = match (subnet.addr, host) {
        (IpAddr::V4(a), true) => (IdType::IPV4_ADDR, a.octets().to_vec()),
        (IpAddr::V4(a), false) => (IdType::IPV4_ADDR_SUBNET, a.octets().to_vec()),
        (IpAddr::V6(a), true) => (IdType::IPV6_ADDR, a.octets().to_vec()),
        (IpAddr::V6(a), false) => (IdType::IPV6_ADDR_SUBNET, a.octets().to_vec()),
    };
    if !host {
        data.extend(subnet.mask_bytes());
    }
    Identification {
        reserved: 0,
        id_type,
        protocol_id: 0,
        port: 0,
        data,
    }
}

/// Decodes a Quick Mode client ID into a subnet; `None` for ranges, names and invalid masks.
fn id_subnet(id: &Identification) -> Option<Subnet> {
    let v4 =
        |bytes: &[u8]| -> Option<IpAddr> { Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)) };
    let v6 =
        |bytes: &[u8]| -> Option<IpAddr> { Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)) };
    let prefix = |mask: &[u8]| -> Option<u8> {
        let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
        let expected: Vec<u8> = Subnet::new(
            if mask.len() == 4 {
                IpAddr::from([0u8; 4])
            } else {
                IpAddr::from([0u8; 16])
            },
            ones as u8,
        )?
        .mask_bytes();
        (expected == mask).then_some(ones as u8)
    };
    match id.id_type {
        IdType::IPV4_ADDR => Some(Subnet::host(v4(&id.data)?)),
        IdType::IPV6_ADDR => Some(Subnet::host(v6(&id.data)?)),
        IdType::IPV4_ADDR_SUBNET if id.data.len() == 8 => {
            Subnet::new(v4(&id.data[..4])?, prefix(&id.data[4..])?)
        }
        IdType::IPV6_ADDR_SUBNET if id.data.len() == 32 => {
            Subnet::new(v6(&id.data[..16])?, prefix(&id.data[16..])?)
        }
        _ => None,
    }
}

/// Derives `len` bytes of Quick Mode KEYMAT for the ESP SA with SPI `spi` (RFC 2409 5.5), with
/// SKEYID_d already absorbed into `skeyid_d`.
fn keymat(
    skeyid_d: &KeyedPrf,
    gxy: Option<&Secret>,
    spi: u32,
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Secret {
    kdf::keymat_keyed(
        skeyid_d,
        gxy.map(Secret::as_bytes),
        PROTOCOL_ESP,
        &spi.to_be_bytes(),
        ni,
        nr,
        len,
    )
}

impl Endpoint {
    /// Starts Quick Mode as initiator under ISAKMP SA `isakmp`, replacing IPsec SA `replaces`
    /// when given.
    pub(crate) fn start_quick_mode(&mut self, now: Instant, isakmp: u32, replaces: Option<u32>) {
        let Some(parent) = self.engine.isakmp.get(&isakmp) else {
            return;
        };
        let Some(keys) = parent.keys.clone() else {
            return;
        };
        let Some(config) = self
            .engine
            .connection(&parent.conn)
            .map(|c| c.config.clone())
        else {
            return;
        };
        let Some(phase1_choice) = parent.choice.clone() else {
            return;
        };
        let encapsulated = parent.encapsulated();
        let natt = parent.natt;
        let phase1_iv = parent.iv.clone();
        let (local, remote) = (parent.local, parent.remote);

        let serial = self.engine.allocate_serial();
        let message_id = self.unused_message_id(isakmp);
        let our_spi = self.random_u32_nonzero();
        let ni = self.random_bytes(NONCE_LEN);
        let pfs_group = config
            .pfs
            .then(|| config.pfs_group.unwrap_or(phase1_choice.proposal.group));
        let mode = configured_encapsulation(config.mode, natt, encapsulated);
        let params = EspOfferParams {
            spi: our_spi,
            lifetime: config.sa_lifetime,
            mode,
            pfs_group,
        };
        let offer = proposal::esp_offer(&config.effective_esp_proposals(), params);

        let mut payloads = vec![
            Payload::Sa(offer),
            Payload::Nonce(ike_wire::Nonce::new(ni.clone())),
        ];
        let mut dh = None;
        if let Some(group) = pfs_group.and_then(|g| DhGroup::from_id(g.number()).ok()) {
            let (private, public) = group.generate(&mut RngRef(self.rng.as_mut()));
            dh = Some(private);
            payloads.push(Payload::Ke(ike_wire::KeyExchange::new(public)));
        }
        let local_subnet = config
            .local_subnet
            .unwrap_or(Subnet::host(config.local.ip()));
        let remote_subnet = config
            .remote_subnet
            .unwrap_or(Subnet::host(config.remote.ip()));
        let ids = if config.local_subnet.is_some() || config.remote_subnet.is_some() {
            let ids = (subnet_id(&local_subnet), subnet_id(&remote_subnet));
            payloads.push(Payload::Id(ids.0.clone()));
            payloads.push(Payload::Id(ids.1.clone()));
            Some(ids)
        } else {
            None
        };
        // RFC 3947 5.2: the initiator sends NAT-OAi (its own address) and NAT-OAr (the address
        // it sends to) when it proposes UDP-encapsulated transport.
        if let (true, Some(method)) = (is_udp_transport(mode), natt) {
            payloads.extend(method.nat_oa_payloads(local.ip(), remote.ip(), true));
        }

        let hash = quick_hash(&keys, message_id, None, &payloads);
        payloads.insert(0, Payload::Hash(ike_wire::Hash::new(hash)));
        let iv = keys.phase2_iv(&phase1_iv, message_id);
        let (bytes, iv) = keys.seal(
            quick_header(self.engine.isakmp.get(&isakmp).map(Box::as_ref), message_id),
            &payloads,
            &iv,
        );

        let mut sa = IpsecSa {
            serial,
            conn: config.name.clone(),
            isakmp,
            state: StateName::QuickI1,
            message_id,
            iv,
            ni,
            nr: Vec::new(),
            dh,
            gxy: None,
            our_spi,
            peer_spi: None,
            choice: None,
            encapsulation_mode: mode,
            nat_oa: None,
            local_subnet,
            remote_subnet,
            ids,
            lifetime: config.sa_lifetime,
            last_in: Vec::new(),
            last_out: None,
            retransmit: Some(Retransmit::start(now, self.config.retransmit_interval)),
            replace_at: None,
            expire_at: None,
            replaces,
        };
        self.state_line(&config.name, serial, StateName::QuickI1, "initiate");
        self.send(local, remote, &bytes);
        sa.last_out = Some(Sent {
            local,
            remote,
            bytes,
        });
        self.engine.ipsec.insert(serial, Box::new(sa));
    }

    fn unused_message_id(&mut self, isakmp: u32) -> u32 {
        loop {
            let id = self.random_u32_nonzero();
            if !self
                .engine
                .ipsec
                .values()
                .any(|sa| sa.isakmp == isakmp && sa.message_id == id)
            {
                return id;
            }
        }
    }

    /// Starts the Quick Modes queued by ISAKMP SAs that just became established.
    pub(crate) fn run_pending_quick_modes(&mut self, now: Instant) {
        let pending = std::mem::take(&mut self.engine.pending_quick_modes);
        for (isakmp, replaces) in pending {
            self.start_quick_mode(now, isakmp, replaces);
        }
    }

    fn find_isakmp_by_cookies(&self, header: &Header) -> Option<u32> {
        self.engine
            .isakmp
            .values()
            .find(|sa| {
                sa.icookie == header.initiator_cookie && sa.rcookie == header.responder_cookie
            })
            .map(|sa| sa.serial)
    }

    pub(crate) fn handle_quick_mode(
        &mut self,
        now: Instant,
        _local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        bytes: &[u8],
    ) {
        let Some(isakmp) = self.find_isakmp_by_cookies(header) else {
            debug!(target: "ike_sm", %remote, "dropping Quick Mode message with unknown cookies");
            return;
        };
        if !self.engine.isakmp[&isakmp].is_established() || header.message_id == 0 {
            debug!(target: "ike_sm", %remote, "dropping Quick Mode message before the ISAKMP SA is established");
            return;
        }
        let existing = self
            .engine
            .ipsec
            .values()
            .find(|sa| sa.isakmp == isakmp && sa.message_id == header.message_id)
            .map(|sa| sa.serial);
        match existing {
            Some(serial) => {
                let Some(mut sa) = self.engine.ipsec.remove(&serial) else {
                    return;
                };
                if sa.last_in == bytes {
                    if let Some(sent) = sa.last_out.clone() {
                        self.send(sent.local, sent.remote, &sent.bytes);
                    }
                } else {
                    match sa.state {
                        StateName::QuickI1 => self.quick_i1_receive(now, &mut sa, bytes),
                        StateName::QuickR1 => self.quick_r1_receive(now, &mut sa, bytes),
                        _ => {
                            debug!(target: "ike_sm", serial, "dropping unexpected Quick Mode message")
                        }
                    }
                }
                self.engine.ipsec.insert(serial, sa);
            }
            None => self.quick_respond(now, isakmp, header, bytes),
        }
        self.run_pending_quick_modes(now);
    }

    /// QI1 arrived for a new message ID: check it, choose a transform, send QR1.
    fn quick_respond(&mut self, now: Instant, isakmp: u32, header: &Header, bytes: &[u8]) {
        let parent = &self.engine.isakmp[&isakmp];
        let Some(keys) = parent.keys.clone() else {
            return;
        };
        let Some(config) = self
            .engine
            .connection(&parent.conn)
            .map(|c| c.config.clone())
        else {
            return;
        };
        let encapsulated = parent.encapsulated();
        let natt = parent.natt;
        let (local, remote) = (parent.local, parent.remote);
        let iv = keys.phase2_iv(&parent.iv, header.message_id);
        let Ok(opened) = keys.open(bytes, &iv) else {
            debug!(target: "ike_sm", isakmp, "dropping QI1 that does not decrypt");
            return;
        };
        if !verify_quick_hash(
            &keys,
            header.message_id,
            None,
            &opened.payloads,
            &opened.plaintext,
        ) {
            self.status_line(
                3,
                &config.name,
                isakmp,
                "received Hash Payload does not match computed value",
            );
            return;
        }
        let mut offer = None;
        let mut nonce = None;
        let mut ke = None;
        let mut ids = Vec::new();
        for payload in &opened.payloads[1..] {
            match payload {
                Payload::Sa(sa) => offer = Some(sa),
                Payload::Nonce(n) => nonce = Some(n.data.clone()),
                Payload::Ke(k) => ke = Some(k.data.clone()),
                Payload::Id(id) => ids.push(id.clone()),
                _ => {}
            }
        }
        let (Some(offer), Some(ni)) = (offer, nonce) else {
            return;
        };
        let nat_oa = match natt::read_nat_oa(&opened.payloads[1..]) {
            Ok(addresses) => addresses,
            Err(error) => {
                self.status_line(3, &config.name, isakmp, format!("{error}"));
                self.send_encrypted_notify(now, isakmp, NotifyType::PAYLOAD_MALFORMED);
                return;
            }
        };

        // The initiator's client ID is our remote subnet, its responder ID our local one.
        let expected_remote = config
            .remote_subnet
            .unwrap_or(Subnet::host(config.remote.ip()));
        let expected_local = config
            .local_subnet
            .unwrap_or(Subnet::host(config.local.ip()));
        let ids_ok = match ids.as_slice() {
            [] => config.local_subnet.is_none() && config.remote_subnet.is_none(),
            [idci, idcr] => {
                id_subnet(idci) == Some(expected_remote) && id_subnet(idcr) == Some(expected_local)
            }
            _ => false,
        };
        if !ids_ok {
            let described: Vec<String> = ids
                .iter()
                .map(|id| id_subnet(id).map_or_else(|| id.id_type.to_string(), |s| s.to_string()))
                .collect();
            let text = format!(
                "cannot respond to IPsec SA request because no connection is known for {}",
                described.join("...")
            );
            self.status_line(3, &config.name, isakmp, text);
            self.send_encrypted_notify(now, isakmp, NotifyType::INVALID_ID_INFORMATION);
            return;
        }

        let configured = config.esp_proposals.clone();
        let our_spi = self.random_u32_nonzero();
        // The mode must be the configured one. Once floated, either number of its
        // UDP-encapsulated variant (RFC 3947 or draft) is accepted.
        let acceptable = |choice: &EspChoice| {
            let algorithm_ok = configured.is_empty() || configured.contains(&choice.proposal);
            let mode_ok = ipsec_mode(choice.mode) == config.mode
                && choice.mode.is_udp_encapsulated() == encapsulated;
            algorithm_ok && mode_ok && choice.pfs_group.is_some() == ke.is_some()
        };
        let Some((choice, reply_sa)) = proposal::choose_esp(offer, our_spi, &acceptable) else {
            self.status_line(
                3,
                &config.name,
                isakmp,
                "no acceptable Proposal in IPsec SA",
            );
            self.send_encrypted_notify(now, isakmp, NotifyType::NO_PROPOSAL_CHOSEN);
            return;
        };

        let nr = self.random_bytes(NONCE_LEN);
        let mut payloads = vec![
            Payload::Sa(reply_sa),
            Payload::Nonce(ike_wire::Nonce::new(nr.clone())),
        ];
        let mut gxy = None;
        if let (Some(group), Some(peer_public)) = (choice.pfs_group, &ke) {
            let Ok(group) = DhGroup::from_id(group.number()) else {
                return;
            };
            let (private, public) = group.generate(&mut RngRef(self.rng.as_mut()));
            match private.shared_secret(peer_public) {
                Ok(shared) => gxy = Some(shared),
                Err(error) => {
                    self.status_line(
                        3,
                        &config.name,
                        isakmp,
                        format!("invalid KE value in Quick Mode: {error}"),
                    );
                    self.send_encrypted_notify(now, isakmp, NotifyType::INVALID_KEY_INFORMATION);
                    return;
                }
            }
            payloads.push(Payload::Ke(ike_wire::KeyExchange::new(public)));
        }
        if choice
            .lifetime
            .is_some_and(|offered| offered > config.sa_lifetime)
        {
            payloads.push(Payload::Notify(responder_lifetime_notify(
                choice.spi,
                config.sa_lifetime,
            )));
        }
        let id_pair = match ids.as_slice() {
            [idci, idcr] => {
                payloads.push(Payload::Id(idci.clone()));
                payloads.push(Payload::Id(idcr.clone()));
                Some((idci.clone(), idcr.clone()))
            }
            _ => None,
        };
        // RFC 3947 5.2: the responder sends NAT-OA only when it chose UDP-encapsulated
        // transport. NAT-OAi is the initiator's address as QI1 arrived, NAT-OAr our own.
        let udp_transport = is_udp_transport(choice.mode);
        if let (true, Some(method)) = (udp_transport, natt) {
            payloads.extend(method.nat_oa_payloads(remote.ip(), local.ip(), false));
        }
        // The initiator's own address comes first (NAT-OAi), then ours as it saw it.
        let peer_nat_oa = match nat_oa.as_slice() {
            [peer, rest @ ..] if udp_transport => Some(OriginalAddresses {
                peer: *peer,
                local: rest.first().copied(),
            }),
            _ => None,
        };
        let hash = quick_hash(&keys, header.message_id, Some(&ni), &payloads);
        payloads.insert(0, Payload::Hash(ike_wire::Hash::new(hash)));
        let (reply, iv) = keys.seal(
            quick_header(
                self.engine.isakmp.get(&isakmp).map(Box::as_ref),
                header.message_id,
            ),
            &payloads,
            &opened.next_iv,
        );

        let serial = self.engine.allocate_serial();
        let lifetime = choice
            .lifetime
            .unwrap_or(config.sa_lifetime)
            .min(config.sa_lifetime);
        let mut sa = IpsecSa {
            serial,
            conn: config.name.clone(),
            isakmp,
            state: StateName::QuickR1,
            message_id: header.message_id,
            iv,
            ni,
            nr,
            dh: None,
            gxy,
            our_spi,
            peer_spi: Some(choice.spi),
            choice: Some(choice),
            encapsulation_mode: choice.mode,
            nat_oa: peer_nat_oa,
            local_subnet: expected_local,
            remote_subnet: expected_remote,
            ids: id_pair,
            lifetime,
            last_in: bytes.to_vec(),
            last_out: Some(Sent {
                local,
                remote,
                bytes: reply.clone(),
            }),
            retransmit: Some(Retransmit::start(now, self.config.retransmit_interval)),
            replace_at: None,
            expire_at: None,
            replaces: None,
        };
        if let Some((idci, idcr)) = &sa.ids {
            let text = format!(
                "the peer proposed: {} -> {}",
                describe_client(&expected_local, idcr),
                describe_client(&expected_remote, idci)
            );
            self.status_line(0, &config.name, isakmp, text);
        }
        self.status_line(
            0,
            &config.name,
            serial,
            format!(
                "responding to Quick Mode proposal {{msgid:{:08x}}}",
                header.message_id
            ),
        );
        self.transition_line(&config.name, serial, StateName::QuickR0, StateName::QuickR1);
        self.state_line(
            &config.name,
            serial,
            StateName::QuickR1,
            StateName::QuickR1.story(),
        );
        self.send(local, remote, &reply);
        sa.expire_at = Some(now + lifetime);
        self.engine.ipsec.insert(serial, Box::new(sa));
    }

    /// QR1 arrived: check the chosen transform, send QI2; the IPsec SAs are established.
    fn quick_i1_receive(&mut self, now: Instant, sa: &mut IpsecSa, bytes: &[u8]) {
        let Some(parent) = self.engine.isakmp.get(&sa.isakmp) else {
            return;
        };
        let Some(keys) = parent.keys.clone() else {
            return;
        };
        let (local, remote) = (parent.local, parent.remote);
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let Ok(opened) = keys.open(bytes, &sa.iv) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping QR1 that does not decrypt");
            return;
        };
        if !verify_quick_hash(
            &keys,
            sa.message_id,
            Some(&sa.ni),
            &opened.payloads,
            &opened.plaintext,
        ) {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "received Hash Payload does not match computed value",
            );
            return;
        }
        let mut reply = None;
        let mut nonce = None;
        let mut ke = None;
        let mut ids = Vec::new();
        let mut responder_lifetime = None;
        for payload in &opened.payloads[1..] {
            match payload {
                Payload::Sa(s) => reply = Some(s),
                Payload::Nonce(n) => nonce = Some(n.data.clone()),
                Payload::Ke(k) => ke = Some(k.data.clone()),
                Payload::Id(id) => ids.push(id.clone()),
                Payload::Notify(notify) if notify.notify_type == NotifyType::RESPONDER_LIFETIME => {
                    responder_lifetime = read_lifetime_attributes(&notify.data);
                }
                _ => {}
            }
        }
        let (Some(reply), Some(nr)) = (reply, nonce) else {
            return;
        };
        let offered: Vec<EspProposal> = config.effective_esp_proposals();
        let choice = reply
            .proposals
            .first()
            .filter(|p| reply.proposals.len() == 1 && p.transforms.len() == 1)
            .and_then(|p| proposal::read_esp_transform(&p.spi, &p.transforms[0]))
            .filter(|c| offered.contains(&c.proposal) && c.mode == sa.encapsulation_mode);
        let Some(choice) = choice else {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "responder chose an ESP transform we did not offer",
            );
            return;
        };
        let nat_oa = match natt::read_nat_oa(&opened.payloads[1..]) {
            Ok(addresses) => addresses,
            Err(error) => {
                self.status_line(3, &sa.conn, sa.serial, format!("{error}"));
                return;
            }
        };
        // RFC 3947 sends NAT-OAi then NAT-OAr, the responder's own address. The drafts send
        // only the sender's own address.
        sa.nat_oa = match nat_oa.as_slice() {
            _ if !is_udp_transport(choice.mode) => None,
            [initiator, responder] => Some(OriginalAddresses {
                peer: *responder,
                local: Some(*initiator),
            }),
            [responder] => Some(OriginalAddresses {
                peer: *responder,
                local: None,
            }),
            _ => None,
        };
        if let Some(ours) = &sa.ids {
            if ids.len() != 2 || ids[0] != ours.0 || ids[1] != ours.1 {
                self.status_line(3, &sa.conn, sa.serial, "responder changed the client IDs");
                return;
            }
        }
        let expected_group: Option<DhGroupId> = config
            .pfs
            .then(|| {
                let phase1_group = self
                    .engine
                    .isakmp
                    .get(&sa.isakmp)
                    .and_then(|p| p.choice.as_ref())
                    .map(|c| c.proposal.group);
                config.pfs_group.or(phase1_group)
            })
            .flatten();
        if choice.pfs_group != expected_group {
            self.status_line(3, &sa.conn, sa.serial, "responder changed the PFS group");
            return;
        }
        if let Some(private) = &sa.dh {
            let Some(peer_public) = ke else { return };
            match private.shared_secret(&peer_public) {
                Ok(shared) => sa.gxy = Some(shared),
                Err(error) => {
                    self.status_line(
                        3,
                        &sa.conn,
                        sa.serial,
                        format!("invalid KE value in Quick Mode: {error}"),
                    );
                    return;
                }
            }
        }
        sa.dh = None;
        sa.nr = nr;
        sa.peer_spi = Some(choice.spi);
        sa.lifetime = choice
            .lifetime
            .unwrap_or(config.sa_lifetime)
            .min(config.sa_lifetime);
        // RESPONDER-LIFETIME (RFC 2407 4.6.3.1) shortens the lifetime we proposed.
        if let Some(lifetime) = responder_lifetime {
            sa.lifetime = sa.lifetime.min(lifetime);
        }
        sa.choice = Some(choice);
        sa.last_in = bytes.to_vec();

        let hash3 = kdf::quick_mode_hash3(keys.prf, &keys.skeyid_a, sa.message_id, &sa.ni, &sa.nr);
        let payloads = vec![Payload::Hash(ike_wire::Hash::new(hash3))];
        let (message, iv) = keys.seal(
            quick_header(
                self.engine.isakmp.get(&sa.isakmp).map(Box::as_ref),
                sa.message_id,
            ),
            &payloads,
            &opened.next_iv,
        );
        sa.iv = iv;
        self.send(local, remote, &message);
        sa.last_out = Some(Sent {
            local,
            remote,
            bytes: message,
        });
        sa.retransmit = None;
        sa.state = StateName::QuickI2;
        if config.rekey {
            let random = self.rng.next_u32();
            sa.replace_at = Some(replace_deadline(
                now,
                sa.lifetime,
                config.rekey_margin,
                config.rekey_fuzz_percent,
                random,
            ));
        }
        sa.expire_at = Some(now + sa.lifetime);
        let details = self.child_details(sa);
        self.status_line(
            4,
            &sa.conn,
            sa.serial,
            format!(
                "{}: {} {details}",
                StateName::QuickI2.name(),
                StateName::QuickI2.story()
            ),
        );
        self.ipsec_established(sa, &config, &keys);
    }

    /// QI2 arrived: check HASH(3); the IPsec SAs are established.
    fn quick_r1_receive(&mut self, _now: Instant, sa: &mut IpsecSa, bytes: &[u8]) {
        let Some(parent) = self.engine.isakmp.get(&sa.isakmp) else {
            return;
        };
        let Some(keys) = parent.keys.clone() else {
            return;
        };
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let Ok(opened) = keys.open(bytes, &sa.iv) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping QI2 that does not decrypt");
            return;
        };
        let expected =
            kdf::quick_mode_hash3(keys.prf, &keys.skeyid_a, sa.message_id, &sa.ni, &sa.nr);
        let received = match opened.payloads.first() {
            Some(Payload::Hash(hash)) => hash.data.clone(),
            _ => return,
        };
        if !constant_time_eq(&received, &expected) {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "received Hash Payload does not match computed value",
            );
            return;
        }
        sa.iv = opened.next_iv;
        sa.last_in = bytes.to_vec();
        sa.retransmit = None;
        sa.last_out = None;
        sa.state = StateName::QuickR2;
        self.transition_line(&sa.conn, sa.serial, StateName::QuickR1, StateName::QuickR2);
        let details = self.child_details(sa);
        self.status_line(
            4,
            &sa.conn,
            sa.serial,
            format!(
                "{}: {} {details}",
                StateName::QuickR2.name(),
                StateName::QuickR2.story()
            ),
        );
        self.ipsec_established(sa, &config, &keys);
    }

    /// Returns `tunnel mode {ESP=>0x... <0x... xfrm=... NATOA=... NATD=... DPD=...}`, or
    /// `transport mode {...}`. NATOA is the peer's original address from its NAT-OA payload and
    /// NATD the peer's address and port once NAT-T floated.
    fn child_details(&self, sa: &IpsecSa) -> String {
        let parent = self.engine.isakmp.get(&sa.isakmp);
        let nat_oa = sa
            .nat_oa
            .map_or_else(|| "none".to_owned(), |oa| oa.peer.to_string());
        let natd = match parent {
            Some(p) if p.encapsulated() => p.remote.to_string(),
            _ => "none".to_owned(),
        };
        let dpd = match (parent, self.engine.connection(&sa.conn)) {
            (Some(p), Some(c)) if p.peer_dpd && c.config.dpd.is_some() => "enabled",
            _ => "none",
        };
        let xfrm = sa
            .choice
            .map(|c| names::esp_xfrm(c.proposal.cipher, c.proposal.integrity))
            .unwrap_or_default();
        format!(
            "{} mode {{ESP=>0x{:08x} <0x{:08x} xfrm={xfrm} NATOA={nat_oa} NATD={natd} DPD={dpd}}}",
            ipsec_mode(sa.encapsulation_mode),
            sa.peer_spi.unwrap_or(0),
            sa.our_spi
        )
    }

    /// Derives the keys of both directions and reports the pair.
    fn ipsec_established(&mut self, sa: &IpsecSa, config: &ConnectionConfig, keys: &Phase1Keys) {
        let (Some(choice), Some(peer_spi)) = (sa.choice, sa.peer_spi) else {
            return;
        };
        let Some(parent) = self.engine.isakmp.get(&sa.isakmp) else {
            return;
        };
        let (local, remote) = (parent.local, parent.remote);
        let encapsulation = parent
            .encapsulated()
            .then_some((local.port(), remote.port()));
        let (plain_local, plain_remote) = if encapsulation.is_some() {
            (local, remote)
        } else {
            (
                SocketAddr::new(local.ip(), 0),
                SocketAddr::new(remote.ip(), 0),
            )
        };

        let enc_len = choice.proposal.cipher.key_len();
        let auth_len = choice.proposal.integrity.key_len();
        let skeyid_d = keys.prf.keyed(keys.skeyid_d.as_bytes());
        let make = |spi: u32, src: SocketAddr, dst: SocketAddr| {
            let material = keymat(
                &skeyid_d,
                sa.gxy.as_ref(),
                spi,
                &sa.ni,
                &sa.nr,
                enc_len + auth_len,
            );
            EspSaParams {
                spi,
                cipher: choice.proposal.cipher,
                integrity: choice.proposal.integrity,
                enc_key: Zeroizing::new(material.as_bytes()[..enc_len].to_vec()),
                auth_key: Zeroizing::new(material.as_bytes()[enc_len..].to_vec()),
                src,
                dst,
            }
        };
        let inbound = make(sa.our_spi, plain_remote, plain_local);
        let outbound = make(peer_spi, plain_local, plain_remote);
        let child = ChildSa {
            conn: sa.conn.clone(),
            serial: sa.serial,
            inbound,
            outbound,
            local_subnet: sa.local_subnet,
            remote_subnet: sa.remote_subnet,
            encapsulation,
            lifetime: sa.lifetime,
            replaces: sa.replaces,
            mode: ipsec_mode(choice.mode),
            nat_oa: sa.nat_oa,
        };
        self.events.push_back(Event::IpsecSaEstablished(child));
        let xfrm = names::esp_xfrm(choice.proposal.cipher, choice.proposal.integrity);
        if let Some(conn) = self.engine.connection_mut(&config.name) {
            conn.newest_ipsec = Some(sa.serial);
            conn.esp_algorithm_newest = Some(xfrm);
        }
    }

    /// Runs the due timers of IPsec state `serial`.
    pub(crate) fn phase2_timeout(&mut self, now: Instant, serial: u32) {
        let Some(mut sa) = self.engine.ipsec.remove(&serial) else {
            return;
        };
        if sa.retransmit.as_ref().is_some_and(|r| r.at <= now) {
            let Some(retransmit) = sa.retransmit.as_mut() else {
                return;
            };
            if retransmit.count >= self.config.max_retransmissions {
                let (conn, state) = (sa.conn.clone(), sa.state);
                self.retransmissions_exhausted(&conn, serial, state);
                return;
            }
            retransmit.count += 1;
            retransmit.interval *= 2;
            retransmit.at = now + retransmit.interval;
            if let Some(sent) = sa.last_out.clone() {
                self.send(sent.local, sent.remote, &sent.bytes);
            }
        }
        if sa.expire_at.is_some_and(|at| at <= now) {
            self.engine.ipsec.insert(serial, sa);
            self.delete_ipsec_sa(now, serial, true);
            return;
        }
        if sa.replace_at.is_some_and(|at| at <= now) {
            sa.replace_at = None;
            let conn = sa.conn.clone();
            self.engine.ipsec.insert(serial, sa);
            self.replace_ipsec_sa(now, &conn, serial);
            return;
        }
        self.engine.ipsec.insert(serial, sa);
    }

    /// Starts Quick Mode to replace IPsec SA `old`, under the newest ISAKMP SA or a new one.
    fn replace_ipsec_sa(&mut self, now: Instant, conn: &str, old: u32) {
        let isakmp = self
            .engine
            .connection(conn)
            .and_then(|c| c.newest_isakmp)
            .filter(|serial| {
                self.engine
                    .isakmp
                    .get(serial)
                    .is_some_and(|sa| sa.is_established())
            });
        match isakmp {
            Some(isakmp) => self.start_quick_mode(now, isakmp, Some(old)),
            None => {
                self.start_main_mode(now, conn, None);
                let newest = self.engine.next_serial;
                if let Some(sa) = self.engine.isakmp.get_mut(&newest) {
                    sa.pending_quick_mode = Some(Some(old));
                }
            }
        }
    }

    /// Deletes IPsec SA pair `serial`, telling the peer when `notify` is set.
    pub(crate) fn delete_ipsec_sa(&mut self, now: Instant, serial: u32, notify: bool) {
        let Some(sa) = self.engine.ipsec.remove(&serial) else {
            return;
        };
        if !sa.is_established() {
            return;
        }
        if notify {
            let isakmp = self
                .engine
                .connection(&sa.conn)
                .and_then(|c| c.newest_isakmp)
                .filter(|s| {
                    self.engine
                        .isakmp
                        .get(s)
                        .is_some_and(|sa| sa.is_established())
                })
                .or(Some(sa.isakmp).filter(|s| {
                    self.engine
                        .isakmp
                        .get(s)
                        .is_some_and(|sa| sa.is_established())
                }));
            if let Some(isakmp) = isakmp {
                let delete = ike_wire::Delete {
                    reserved: 0,
                    doi: ike_wire::Doi::IPSEC,
                    protocol: ike_wire::ProtocolId::IPSEC_ESP,
                    spi_size: 4,
                    spis: vec![sa.our_spi.to_be_bytes().to_vec()],
                };
                self.send_informational(now, isakmp, vec![Payload::Delete(delete)]);
            }
        }
        self.events.push_back(Event::IpsecSaDeleted {
            conn: sa.conn.clone(),
            serial,
            inbound_spi: sa.our_spi,
            outbound_spi: sa.peer_spi.unwrap_or(0),
        });
        if let Some(conn) = self.engine.connection_mut(&sa.conn) {
            if conn.newest_ipsec == Some(serial) {
                conn.newest_ipsec = None;
            }
        }
    }
}

impl Endpoint {
    /// Queues Openswan's log line of a state change, `transition from state STATE_QUICK_R0 to
    /// state STATE_QUICK_R1`. Only the responder emits it, because an initiator's whack output
    /// (`ipsec auto --up`) shows only the new-state lines.
    pub(crate) fn transition_line(
        &mut self,
        conn: &str,
        serial: u32,
        from: StateName,
        to: StateName,
    ) {
        let text = format!(
            "transition from state {} to state {}",
            from.name(),
            to.name()
        );
        self.status_line(0, conn, serial, text);
    }
}

#[cfg(test)]
impl Endpoint {
    /// Sends a QI1 made of HASH(1) and `payloads` under ISAKMP SA `isakmp`, for tests of
    /// messages a correct initiator would not send.
    pub(crate) fn send_quick_mode_for_test(
        &mut self,
        isakmp: u32,
        message_id: u32,
        mut payloads: Vec<Payload>,
    ) {
        let parent = &self.engine.isakmp[&isakmp];
        let keys = parent.keys.clone().expect("an established ISAKMP SA");
        let iv = keys.phase2_iv(&parent.iv, message_id);
        let hash = quick_hash(&keys, message_id, None, &payloads);
        payloads.insert(0, Payload::Hash(ike_wire::Hash::new(hash)));
        let (bytes, _) = keys.seal(quick_header(Some(parent), message_id), &payloads, &iv);
        let (local, remote) = (parent.local, parent.remote);
        self.send(local, remote, &bytes);
    }
}

/// Formats a client as Openswan's `the peer proposed:` line does: `10.0.0.0/24:0/0`, the
/// subnet with the protocol and port of its ID payload.
fn describe_client(subnet: &Subnet, id: &Identification) -> String {
    format!("{subnet}:{}/{}", id.protocol_id, id.port)
}

/// Builds the header of a Quick Mode message under ISAKMP SA `parent`.
fn quick_header(parent: Option<&IsakmpSa>, message_id: u32) -> Header {
    let (icookie, rcookie) = parent.map(|p| (p.icookie, p.rcookie)).unwrap_or_default();
    Header {
        initiator_cookie: icookie,
        responder_cookie: rcookie,
        next_payload: PayloadType::HASH,
        version: ISAKMP_VERSION_1_0,
        exchange_type: ExchangeType::QUICK_MODE,
        flags: Default::default(),
        message_id,
        length: 0,
    }
}

/// HASH(1) = prf(SKEYID_a, M-ID | payloads) or, with `ni`, HASH(2) = prf(SKEYID_a, M-ID |
/// Ni_b | payloads), over the payloads that follow the HASH payload (RFC 2409 5.5).
fn quick_hash(
    keys: &Phase1Keys,
    message_id: u32,
    ni: Option<&[u8]>,
    payloads: &[Payload],
) -> Vec<u8> {
    let rest = ike_wire::emit_payloads(payloads).unwrap_or_default();
    quick_hash_over(keys, message_id, ni, &rest)
}

/// Computes HASH(1), or HASH(2) with `ni`, over `rest`: the bytes of the payloads after HASH.
fn quick_hash_over(keys: &Phase1Keys, message_id: u32, ni: Option<&[u8]>, rest: &[u8]) -> Vec<u8> {
    match ni {
        Some(ni) => kdf::quick_mode_hash2(keys.prf, &keys.skeyid_a, message_id, ni, rest),
        None => kdf::quick_mode_hash1(keys.prf, &keys.skeyid_a, message_id, rest),
    }
}

/// Checks the HASH payload that must come first in a received Quick Mode message, over the
/// received bytes of the payloads after it.
fn verify_quick_hash(
    keys: &Phase1Keys,
    message_id: u32,
    ni: Option<&[u8]>,
    payloads: &[Payload],
    plaintext: &[u8],
) -> bool {
    let Some(Payload::Hash(hash)) = payloads.first() else {
        return false;
    };
    let Some(rest) = bytes_after_first_payload(plaintext) else {
        return false;
    };
    let expected = quick_hash_over(keys, message_id, ni, rest);
    constant_time_eq(&hash.data, &expected)
}

/// Checks an Informational's HASH(1) (RFC 2409 5.7).
pub(crate) fn verify_informational_hash(
    keys: &Phase1Keys,
    message_id: u32,
    payloads: &[Payload],
    plaintext: &[u8],
) -> bool {
    verify_quick_hash(keys, message_id, None, payloads, plaintext)
}

/// Computes an Informational's HASH(1) over `payloads`.
pub(crate) fn informational_hash(
    keys: &Phase1Keys,
    message_id: u32,
    payloads: &[Payload],
) -> Vec<u8> {
    quick_hash(keys, message_id, None, payloads)
}

/// Builds a RESPONDER-LIFETIME notification (RFC 2407 4.6.3.1) for the ESP SA with SPI `spi`:
/// an SA Life Type of seconds and the SA Life Duration we accept.
fn responder_lifetime_notify(spi: u32, lifetime: Duration) -> ike_wire::Notification {
    let seconds = u32::try_from(lifetime.as_secs()).unwrap_or(u32::MAX);
    let mut data = vec![0x80, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04];
    data.extend_from_slice(&seconds.to_be_bytes());
    ike_wire::Notification {
        reserved: 0,
        doi: ike_wire::Doi::IPSEC,
        protocol: ike_wire::ProtocolId::IPSEC_ESP,
        notify_type: NotifyType::RESPONDER_LIFETIME,
        spi: spi.to_be_bytes().to_vec(),
        data,
    }
}

/// Reads the seconds lifetime from the attribute list of a RESPONDER-LIFETIME notification;
/// `None` when it names none or the list is malformed.
fn read_lifetime_attributes(mut data: &[u8]) -> Option<Duration> {
    let mut seconds_type = true;
    let mut lifetime = None;
    while data.len() >= 4 {
        let kind = u16::from_be_bytes([data[0], data[1]]);
        let (value, rest) = if kind & 0x8000 != 0 {
            (
                u64::from(u16::from_be_bytes([data[2], data[3]])),
                &data[4..],
            )
        } else {
            let len = usize::from(u16::from_be_bytes([data[2], data[3]]));
            let bytes = data.get(4..4 + len)?;
            if len > 8 {
                return None;
            }
            (
                bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
                &data[4 + len..],
            )
        };
        match kind & 0x7fff {
            1 => seconds_type = value == 1,
            2 if seconds_type => lifetime = Some(Duration::from_secs(value)),
            _ => {}
        }
        data = rest;
    }
    lifetime
}
