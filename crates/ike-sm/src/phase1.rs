//! Main Mode (RFC 2409 5, identity protection exchange) and the ISAKMP SA it creates.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_wire::{
    Doi, ExchangeType, Header, Message, NatD, Notification, NotifyType, Payload, PayloadType,
    ProtocolId, VendorId, ISAKMP_VERSION_1_0,
};
use tracing::debug;

use crate::config::{Auth, ConnectionConfig};
use crate::crypto::{kdf, DhGroup, DhPrivate, Hash, Phase1Cipher, Prf, Secret};
use crate::endpoint::Endpoint;
use crate::engine::{
    describe_id, phase1_id, phase1_id_matches, plain_message, replace_deadline, Phase1Keys,
    Retransmit, RngRef, Sent, NATT_PORT,
};
use crate::event::Event;
use crate::names::{self, StateName};
use crate::natt::{natd_hash, NattMethod, VID_DPD};
use crate::proposal::{self, AuthKind, IkeChoice};

/// Length of the nonces we send. RFC 2409 5 requires 8 to 256 bytes.
const NONCE_LEN: usize = 32;

/// Shortest and longest nonce accepted from a peer (RFC 2409 5).
const NONCE_LEN_RANGE: std::ops::RangeInclusive<usize> = 8..=256;

/// Dead peer detection state of an ISAKMP SA.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dpd {
    /// When the next R-U-THERE goes out.
    pub(crate) next_probe: Option<Instant>,
    /// The peer is declared dead unless an ACK arrives by then.
    pub(crate) deadline: Option<Instant>,
    /// Sequence number of the last R-U-THERE sent.
    pub(crate) sequence: u32,
}

/// One ISAKMP SA (phase 1 state), from the first message to its deletion.
pub(crate) struct IsakmpSa {
    pub(crate) serial: u32,
    pub(crate) conn: String,
    pub(crate) initiator: bool,
    pub(crate) state: StateName,
    pub(crate) icookie: [u8; 8],
    pub(crate) rcookie: [u8; 8],
    /// Our address and port for this SA (port 4500 after the NAT-T float).
    pub(crate) local: SocketAddr,
    /// The peer's address and port as last seen.
    pub(crate) remote: SocketAddr,
    pub(crate) auth: AuthKind,
    pub(crate) choice: Option<IkeChoice>,
    /// Body of the initiator's SA payload, covered by HASH_I and HASH_R.
    pub(crate) sa_i_b: Vec<u8>,
    pub(crate) dh: Option<DhPrivate>,
    pub(crate) ke_i: Vec<u8>,
    pub(crate) ke_r: Vec<u8>,
    pub(crate) ni: Vec<u8>,
    pub(crate) nr: Vec<u8>,
    /// Shared, so that a handler clones a pointer rather than the key material.
    pub(crate) keys: Option<Arc<Phase1Keys>>,
    /// The current CBC IV: the last ciphertext block of the last phase 1 message once Main Mode
    /// is complete.
    pub(crate) iv: Vec<u8>,
    pub(crate) natt: Option<NattMethod>,
    pub(crate) peer_dpd: bool,
    /// We are behind a NAT (or pretend to be, with forceencaps).
    pub(crate) nat_local: bool,
    /// The peer is behind a NAT.
    pub(crate) nat_remote: bool,
    pub(crate) last_in: Vec<u8>,
    pub(crate) last_out: Option<Sent>,
    pub(crate) retransmit: Option<Retransmit>,
    pub(crate) discard_at: Option<Instant>,
    pub(crate) replace_at: Option<Instant>,
    pub(crate) expire_at: Option<Instant>,
    pub(crate) keepalive_at: Option<Instant>,
    pub(crate) dpd: Dpd,
    pub(crate) lifetime: Duration,
    /// The ISAKMP SA this one replaces (rekey).
    pub(crate) replaces: Option<u32>,
    /// An IPsec SA to replace by Quick Mode once this SA is established.
    pub(crate) pending_quick_mode: Option<Option<u32>>,
}

impl IsakmpSa {
    pub(crate) fn is_established(&self) -> bool {
        matches!(self.state, StateName::MainI4 | StateName::MainR3)
    }

    pub(crate) fn next_timer(&self) -> Option<Instant> {
        [
            self.retransmit.as_ref().map(|r| r.at),
            self.discard_at,
            self.replace_at,
            self.expire_at,
            self.keepalive_at,
            self.dpd.next_probe,
            self.dpd.deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Returns Openswan's name and deadline of the state's next timer event.
    pub(crate) fn next_event(&self) -> Option<(&'static str, Instant)> {
        if let Some(r) = &self.retransmit {
            return Some(("EVENT_RETRANSMIT", r.at));
        }
        if let Some(at) = self.replace_at {
            return Some(("EVENT_SA_REPLACE", at));
        }
        if let Some(at) = self.expire_at {
            return Some(("EVENT_SA_EXPIRE", at));
        }
        self.discard_at.map(|at| ("EVENT_SO_DISCARD", at))
    }

    /// Returns the `{auth=... cipher=... prf=... group=...}` part of the established line.
    fn established_details(&self) -> String {
        match &self.choice {
            Some(choice) => format!(
                "{{auth={} cipher={} prf={} group={}}}",
                self.auth.openswan_name(),
                names::ike_cipher(choice.proposal.cipher),
                names::ike_prf(choice.proposal.hash),
                names::group(choice.proposal.group),
            ),
            None => String::new(),
        }
    }

    fn cookies(&self) -> ([u8; 8], [u8; 8]) {
        (self.icookie, self.rcookie)
    }

    fn header(&self, next_payload: PayloadType) -> Header {
        Header {
            initiator_cookie: self.icookie,
            responder_cookie: self.rcookie,
            next_payload,
            version: ISAKMP_VERSION_1_0,
            exchange_type: ExchangeType::IDENTITY_PROTECTION,
            flags: Default::default(),
            message_id: 0,
            length: 0,
        }
    }

    /// Reports whether this SA's IPsec SAs use UDP encapsulation.
    pub(crate) fn encapsulated(&self) -> bool {
        self.natt.is_some() && (self.nat_local || self.nat_remote)
    }
}

/// Result of looking up the state a Main Mode message belongs to.
enum Lookup {
    Existing(u32),
    NewResponder,
    Unknown,
}

impl Endpoint {
    /// Starts Main Mode as initiator for connection `name`: sends MI1.
    pub(crate) fn start_main_mode(&mut self, now: Instant, name: &str, replaces: Option<u32>) {
        let Some(conn) = self.engine.connection(name) else {
            return;
        };
        let config = conn.config.clone();
        let serial = self.engine.allocate_serial();
        let icookie: [u8; 8] = self.random_bytes(8).try_into().unwrap_or([1; 8]);
        let auth = auth_kind(&config.auth);

        let offer =
            proposal::ike_offer(&config.effective_ike_proposals(), auth, config.ike_lifetime);
        let sa_payload = Payload::Sa(offer);
        let sa_i_b = sa_payload.body_to_vec().unwrap_or_default();
        let mut payloads = vec![sa_payload];
        payloads.extend(vendor_ids(&config, None));

        let mut sa = new_isakmp_sa(
            serial,
            &config,
            true,
            (icookie, [0; 8]),
            (config.local, config.remote),
        );
        sa.sa_i_b = sa_i_b;
        sa.replaces = replaces;
        sa.pending_quick_mode = (config.initiate_quick_mode && replaces.is_none()).then_some(None);
        let bytes = plain_message(sa.header(PayloadType::SECURITY_ASSOCIATION), payloads);
        self.state_line(&config.name, serial, StateName::MainI1, "initiate");
        self.transmit_and_arm(now, &mut sa, bytes);
        self.engine.isakmp.insert(serial, Box::new(sa));
    }

    /// Sends `bytes` for `sa` and arms its retransmission timer.
    fn transmit_and_arm(&mut self, now: Instant, sa: &mut IsakmpSa, bytes: Vec<u8>) {
        self.send(sa.local, sa.remote, &bytes);
        sa.last_out = Some(Sent {
            local: sa.local,
            remote: sa.remote,
            bytes,
        });
        sa.retransmit = Some(Retransmit::start(now, self.config.retransmit_interval));
    }

    /// Sends a reply for `sa` that is re-sent only when the peer repeats its message.
    fn transmit_reply(&mut self, sa: &mut IsakmpSa, bytes: Vec<u8>) {
        self.send(sa.local, sa.remote, &bytes);
        sa.last_out = Some(Sent {
            local: sa.local,
            remote: sa.remote,
            bytes,
        });
        sa.retransmit = None;
    }

    fn lookup_main_mode(&self, header: &Header) -> Lookup {
        let zero = [0u8; 8];
        for sa in self.engine.isakmp.values() {
            if sa.icookie != header.initiator_cookie {
                continue;
            }
            if sa.rcookie == header.responder_cookie {
                return Lookup::Existing(sa.serial);
            }
            // MR1 carries the responder cookie we do not know yet.
            if sa.initiator && sa.state == StateName::MainI1 && sa.rcookie == zero {
                return Lookup::Existing(sa.serial);
            }
        }
        if header.responder_cookie == zero {
            Lookup::NewResponder
        } else {
            Lookup::Unknown
        }
    }

    pub(crate) fn handle_main_mode(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        bytes: &[u8],
    ) {
        let serial = match self.lookup_main_mode(header) {
            Lookup::Existing(serial) => serial,
            Lookup::NewResponder => {
                return self.respond_main_mode(now, local, remote, header, bytes)
            }
            Lookup::Unknown => {
                debug!(target: "ike_sm", %remote, "dropping Main Mode message with unknown cookies");
                return;
            }
        };
        let Some(mut sa) = self.engine.isakmp.remove(&serial) else {
            return;
        };

        if sa.last_in == bytes {
            self.duplicate(&mut sa);
        } else {
            match sa.state {
                StateName::MainI1 => self.main_i1_receive(now, &mut sa, header, bytes),
                StateName::MainR1 => self.main_r1_receive(now, &mut sa, bytes, remote),
                StateName::MainI2 => self.main_i2_receive(now, &mut sa, bytes, local),
                StateName::MainR2 => self.main_r2_receive(now, &mut sa, bytes, local, remote),
                StateName::MainI3 => self.main_i3_receive(now, &mut sa, bytes),
                _ => debug!(target: "ike_sm", serial, "dropping unexpected Main Mode message"),
            }
        }
        if sa.state != StateName::MainR0 {
            self.engine.isakmp.insert(serial, sa);
        }
    }

    /// Handles a repeated message: a responder (or an initiator whose last message ended the
    /// exchange) sends its reply again; anyone else ignores it, as Openswan does.
    fn duplicate(&mut self, sa: &mut IsakmpSa) {
        let resend = !sa.initiator || sa.state == StateName::MainI4;
        match (&sa.last_out, resend) {
            (Some(sent), true) => {
                let sent = sent.clone();
                self.send(sent.local, sent.remote, &sent.bytes);
            }
            _ => {
                let text = format!("discarding duplicate packet; already {}", sa.state.name());
                self.status_line(3, &sa.conn, sa.serial, text);
            }
        }
    }

    /// Finds the connections a first Main Mode message from `remote` to `local` may belong to.
    fn responder_candidates(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Vec<Arc<ConnectionConfig>> {
        self.engine
            .connections
            .iter()
            .filter(|c| {
                let remote_ok =
                    c.config.remote.ip() == remote.ip() || c.config.remote.ip().is_unspecified();
                let local_ok =
                    c.config.local.ip() == local.ip() || c.config.local.ip().is_unspecified();
                remote_ok && local_ok
            })
            .map(|c| c.config.clone())
            .collect()
    }

    /// Processes MI1 without state: chooses a connection and a transform, then sends MR1.
    fn respond_main_mode(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        bytes: &[u8],
    ) {
        let message = match Message::parse(bytes) {
            Ok(message) => message,
            Err(error) => {
                debug!(target: "ike_sm", %remote, %error, "dropping malformed MI1");
                return;
            }
        };
        let Some(Payload::Sa(offer)) = message.payloads.first() else {
            debug!(target: "ike_sm", %remote, "dropping MI1 without an SA payload first");
            return;
        };
        let candidates = self.responder_candidates(local, remote);
        let Some(first) = candidates.first() else {
            debug!(target: "ike_sm", %remote, "initial Main Mode message from a peer with no connection");
            return;
        };
        let half_open = self
            .engine
            .isakmp
            .values()
            .filter(|sa| matches!(sa.state, StateName::MainR1 | StateName::MainR2))
            .count();
        if half_open >= self.config.max_half_open {
            debug!(target: "ike_sm", %remote, half_open, "dropping MI1: too many half-open states");
            return;
        }

        let mut chosen = None;
        for config in &candidates {
            let auth = auth_kind(&config.auth);
            let configured = config.ike_proposals.clone();
            let acceptable = |p: &crate::config::IkeProposal| {
                if configured.is_empty() {
                    proposal::ike_supported(p)
                } else {
                    configured.contains(p)
                }
            };
            if let Some(found) = proposal::choose_ike(offer, auth, &acceptable) {
                chosen = Some((config.clone(), found));
                break;
            }
        }
        let Some((config, (choice, reply_sa))) = chosen else {
            let serial = self.engine.allocate_serial();
            self.status_line(3, &first.name, serial, "no acceptable Oakley Transform");
            self.send_plain_notify(
                local,
                remote,
                header.initiator_cookie,
                [0; 8],
                NotifyType::NO_PROPOSAL_CHOSEN,
            );
            return;
        };

        let serial = self.engine.allocate_serial();
        let rcookie: [u8; 8] = self.random_bytes(8).try_into().unwrap_or([2; 8]);
        let mut sa = new_isakmp_sa(
            serial,
            &config,
            false,
            (header.initiator_cookie, rcookie),
            (local, remote),
        );
        sa.sa_i_b = message.payloads[0].body_to_vec().unwrap_or_default();
        sa.lifetime = choice
            .lifetime
            .unwrap_or(config.ike_lifetime)
            .min(config.ike_lifetime);
        sa.choice = Some(choice);
        let (natt, dpd) = read_vendor_ids(&message.payloads);
        sa.natt = if config.nat_traversal { natt } else { None };
        sa.peer_dpd = dpd;
        sa.last_in = bytes.to_vec();

        let mut payloads = vec![Payload::Sa(reply_sa)];
        payloads.extend(vendor_ids(&config, Some(sa.natt)));
        let reply = plain_message(sa.header(PayloadType::SECURITY_ASSOCIATION), payloads);
        sa.state = StateName::MainR1;
        sa.discard_at = Some(now + self.half_open_timeout());
        self.status_line(0, &config.name, serial, "responding to Main Mode");
        self.transition_line(&config.name, serial, StateName::MainR0, StateName::MainR1);
        self.state_line(
            &config.name,
            serial,
            StateName::MainR1,
            StateName::MainR1.story(),
        );
        self.transmit_reply(&mut sa, reply);
        self.engine.isakmp.insert(serial, Box::new(sa));
    }

    /// Returns how long a responder keeps a state that waits for the initiator's next message:
    /// the initiator's whole retransmission budget.
    pub(crate) fn half_open_timeout(&self) -> Duration {
        let mut total = Duration::ZERO;
        let mut interval = self.config.retransmit_interval;
        for _ in 0..=self.config.max_retransmissions {
            total += interval;
            interval *= 2;
        }
        total
    }

    /// MR1 arrived: check the chosen transform, then send MI2 (KE, Ni, NAT-D).
    fn main_i1_receive(&mut self, now: Instant, sa: &mut IsakmpSa, header: &Header, bytes: &[u8]) {
        let Ok(message) = Message::parse(bytes) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping malformed MR1");
            return;
        };
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let Some(Payload::Sa(reply)) = message.payloads.first() else {
            return;
        };
        let offered = config.effective_ike_proposals();
        let choice = reply
            .proposals
            .first()
            .filter(|p| p.transforms.len() == 1 && reply.proposals.len() == 1)
            .and_then(|p| proposal::read_ike_transform(&p.transforms[0]))
            .filter(|c| c.auth == sa.auth && offered.contains(&c.proposal));
        let Some(choice) = choice else {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "responder chose a transform we did not offer",
            );
            return;
        };
        sa.rcookie = header.responder_cookie;
        sa.lifetime = choice
            .lifetime
            .unwrap_or(config.ike_lifetime)
            .min(config.ike_lifetime);
        sa.choice = Some(choice.clone());
        let (natt, dpd) = read_vendor_ids(&message.payloads);
        sa.natt = if config.nat_traversal { natt } else { None };
        sa.peer_dpd = dpd;
        sa.last_in = bytes.to_vec();

        let Some(group) = dh_group(&choice) else {
            return;
        };
        let (private, public) = group.generate(&mut RngRef(self.rng.as_mut()));
        sa.dh = Some(private);
        sa.ke_i = public.clone();
        sa.ni = self.random_bytes(NONCE_LEN);
        let mut payloads = vec![
            Payload::Ke(ike_wire::KeyExchange::new(public)),
            Payload::Nonce(ike_wire::Nonce::new(sa.ni.clone())),
        ];
        payloads.extend(self.natd_payloads(sa, &config, sa.remote));
        let message = plain_message(sa.header(PayloadType::KEY_EXCHANGE), payloads);
        sa.state = StateName::MainI2;
        self.state_line(
            &sa.conn.clone(),
            sa.serial,
            StateName::MainI2,
            "sent MI2, expecting MR2",
        );
        self.transmit_and_arm(now, sa, message);
    }

    /// Builds our NAT-D payloads: the peer's address and port as we send to them, then ours
    /// (a value that cannot match with forceencaps, so that the peer detects a NAT).
    fn natd_payloads(
        &self,
        sa: &IsakmpSa,
        config: &ConnectionConfig,
        peer: SocketAddr,
    ) -> Vec<Payload> {
        let (Some(natt), Some(choice)) = (sa.natt, &sa.choice) else {
            return Vec::new();
        };
        let hash = ike_hash(choice);
        let (icookie, rcookie) = sa.cookies();
        let remote = natd_hash(hash, &icookie, &rcookie, peer);
        let local = if config.force_encaps {
            // Hash of an unspecified address with port 0: no peer computes this for us.
            natd_hash(
                hash,
                &icookie,
                &rcookie,
                SocketAddr::from(([0, 0, 0, 0], 0)),
            )
        } else {
            natd_hash(hash, &icookie, &rcookie, sa.local)
        };
        let payload_type = natt.natd_type();
        vec![
            Payload::NatD(NatD {
                reserved: 0,
                payload_type,
                hash: remote,
            }),
            Payload::NatD(NatD {
                reserved: 0,
                payload_type,
                hash: local,
            }),
        ]
    }

    /// Compares the peer's NAT-D payloads with the addresses we see (RFC 3947 3.2).
    fn detect_nat(
        &self,
        sa: &mut IsakmpSa,
        config: &ConnectionConfig,
        payloads: &[Payload],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let (Some(_), Some(choice)) = (sa.natt, &sa.choice) else {
            return;
        };
        let hash = ike_hash(choice);
        let hashes: Vec<&Vec<u8>> = payloads
            .iter()
            .filter_map(|p| match p {
                Payload::NatD(natd) => Some(&natd.hash),
                _ => None,
            })
            .collect();
        let Some((first, rest)) = hashes.split_first() else {
            sa.natt = None;
            return;
        };
        let (icookie, rcookie) = sa.cookies();
        let ours = natd_hash(hash, &icookie, &rcookie, local);
        let theirs = natd_hash(hash, &icookie, &rcookie, remote);
        sa.nat_local = **first != ours || config.force_encaps;
        sa.nat_remote = !rest.iter().any(|h| **h == theirs);
    }

    /// MI2 arrived: compute the shared secret and keys, then send MR2 (KE, Nr, NAT-D).
    fn main_r1_receive(
        &mut self,
        now: Instant,
        sa: &mut IsakmpSa,
        bytes: &[u8],
        remote: SocketAddr,
    ) {
        let Ok(message) = Message::parse(bytes) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping malformed MI2");
            return;
        };
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let (Some(ke), Some(nonce)) = (find_ke(&message.payloads), find_nonce(&message.payloads))
        else {
            self.status_line(3, &sa.conn, sa.serial, "MI2 lacks a KE or Nonce payload");
            return;
        };
        if !NONCE_LEN_RANGE.contains(&nonce.len()) {
            return;
        }
        let Some(choice) = sa.choice.clone() else {
            return;
        };
        let Some(group) = dh_group(&choice) else {
            return;
        };
        let (private, public) = group.generate(&mut RngRef(self.rng.as_mut()));
        let shared = match private.shared_secret(ke) {
            Ok(shared) => shared,
            Err(error) => {
                self.status_line(3, &sa.conn, sa.serial, format!("invalid KE value: {error}"));
                self.send_plain_notify(
                    sa.local,
                    remote,
                    sa.icookie,
                    sa.rcookie,
                    NotifyType::INVALID_KEY_INFORMATION,
                );
                // No state is kept for a peer that sent an invalid public value.
                sa.state = StateName::MainR0;
                return;
            }
        };
        sa.ke_i = ke.to_vec();
        sa.ke_r = public.clone();
        sa.ni = nonce.to_vec();
        sa.nr = self.random_bytes(NONCE_LEN);
        sa.keys = derive_phase1_keys(&config.auth, &choice, sa, &shared).map(Arc::new);
        let Some(keys) = &sa.keys else { return };
        sa.iv = phase1_iv(keys, &sa.ke_i, &sa.ke_r);
        self.detect_nat(sa, &config, &message.payloads, sa.local, remote);
        sa.last_in = bytes.to_vec();

        let mut payloads = vec![
            Payload::Ke(ike_wire::KeyExchange::new(public)),
            Payload::Nonce(ike_wire::Nonce::new(sa.nr.clone())),
        ];
        payloads.extend(self.natd_payloads(sa, &config, remote));
        let reply = plain_message(sa.header(PayloadType::KEY_EXCHANGE), payloads);
        sa.state = StateName::MainR2;
        sa.discard_at = Some(now + self.half_open_timeout());
        let conn = sa.conn.clone();
        self.transition_line(&conn, sa.serial, StateName::MainR1, StateName::MainR2);
        self.state_line(
            &sa.conn.clone(),
            sa.serial,
            StateName::MainR2,
            StateName::MainR2.story(),
        );
        self.transmit_reply(sa, reply);
    }

    /// MR2 arrived: compute keys, float to port 4500 if a NAT was found, send MI3.
    fn main_i2_receive(
        &mut self,
        now: Instant,
        sa: &mut IsakmpSa,
        bytes: &[u8],
        local: SocketAddr,
    ) {
        let Ok(message) = Message::parse(bytes) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping malformed MR2");
            return;
        };
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let (Some(ke), Some(nonce)) = (find_ke(&message.payloads), find_nonce(&message.payloads))
        else {
            return;
        };
        if !NONCE_LEN_RANGE.contains(&nonce.len()) {
            return;
        }
        let Some(choice) = sa.choice.clone() else {
            return;
        };
        let Some(private) = &sa.dh else { return };
        let shared = match private.shared_secret(ke) {
            Ok(shared) => shared,
            Err(error) => {
                self.status_line(3, &sa.conn, sa.serial, format!("invalid KE value: {error}"));
                return;
            }
        };
        sa.ke_r = ke.to_vec();
        sa.nr = nonce.to_vec();
        sa.keys = derive_phase1_keys(&config.auth, &choice, sa, &shared).map(Arc::new);
        sa.dh = None;
        let Some(keys) = sa.keys.clone() else { return };
        sa.iv = phase1_iv(&keys, &sa.ke_i, &sa.ke_r);
        self.detect_nat(sa, &config, &message.payloads, local, sa.remote);
        sa.last_in = bytes.to_vec();

        if sa.encapsulated() {
            sa.local.set_port(NATT_PORT);
            sa.remote.set_port(NATT_PORT);
        }

        let id = phase1_id(&config.local_id, config.local.ip());
        let id_payload = Payload::Id(id);
        let id_b = id_payload.body_to_vec().unwrap_or_default();
        let hash_i = hash_i(&keys, sa, &id_b);
        let Some(auth_payload) = auth_payload(&config.auth, &hash_i) else {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "unable to sign HASH_I with our RSA key",
            );
            return;
        };
        let mut payloads = vec![id_payload, auth_payload];
        // Send INITIAL-CONTACT (RFC 2407 4.6.3.3) on the first ISAKMP SA with this peer, so that
        // it drops state left from before a restart. A rekey still has the old SA, so it sends none.
        let first_contact = !self
            .engine
            .isakmp
            .values()
            .any(|other| other.serial != sa.serial && other.remote.ip() == sa.remote.ip());
        if first_contact {
            payloads.push(Payload::Notify(initial_contact(sa)));
        }
        let (message, iv) = keys.seal(sa.header(PayloadType::IDENTIFICATION), &payloads, &sa.iv);
        sa.iv = iv;
        sa.state = StateName::MainI3;
        self.state_line(
            &sa.conn.clone(),
            sa.serial,
            StateName::MainI3,
            "sent MI3, expecting MR3",
        );
        self.transmit_and_arm(now, sa, message);
    }

    /// MI3 arrived: authenticate the initiator and send MR3; the ISAKMP SA is established.
    fn main_r2_receive(
        &mut self,
        now: Instant,
        sa: &mut IsakmpSa,
        bytes: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let Some(keys) = sa.keys.clone() else { return };
        let opened = match keys.open(bytes, &sa.iv) {
            Ok(opened) => opened,
            Err(_) => {
                let text = "probable authentication failure (mismatch of preshared secrets?): malformed payload in packet";
                self.status_line(3, &sa.conn, sa.serial, text);
                self.send_plain_notify(
                    local,
                    remote,
                    sa.icookie,
                    sa.rcookie,
                    NotifyType::PAYLOAD_MALFORMED,
                );
                return;
            }
        };
        let Some((id, id_b)) = find_id(&opened.payloads) else {
            return;
        };
        let expected = hash_i(&keys, sa, &id_b);
        if let Err(failure) = verify_auth(&config.auth, &opened.payloads, &expected) {
            let notify = match failure {
                AuthFailure::BadSignature => NotifyType::INVALID_KEY_INFORMATION,
                _ => NotifyType::INVALID_HASH_INFORMATION,
            };
            self.status_line(3, &sa.conn, sa.serial, failure.describe(&config.auth, id));
            self.send_plain_notify(local, remote, sa.icookie, sa.rcookie, notify);
            return;
        }
        if !phase1_id_matches(id, &config.remote_id, config.remote.ip()) {
            let text = format!(
                "Peer ID is {}: no suitable connection for it",
                describe_id(id)
            );
            self.status_line(3, &sa.conn, sa.serial, text);
            self.send_plain_notify(
                local,
                remote,
                sa.icookie,
                sa.rcookie,
                NotifyType::INVALID_ID_INFORMATION,
            );
            return;
        }
        let text = format!("Main mode peer ID is {}: '{}'", id.id_type, describe_id(id));
        self.status_line(0, &sa.conn, sa.serial, text);
        sa.iv = opened.next_iv;
        sa.last_in = bytes.to_vec();
        // The initiator floats to port 4500 with MI3 when it saw a NAT (RFC 3947 4).
        sa.local = local;
        sa.remote = remote;

        let own_id = Payload::Id(phase1_id(&config.local_id, config.local.ip()));
        let own_id_b = own_id.body_to_vec().unwrap_or_default();
        let hash_r = hash_r(&keys, sa, &own_id_b);
        let Some(auth_payload) = auth_payload(&config.auth, &hash_r) else {
            self.status_line(
                3,
                &sa.conn,
                sa.serial,
                "unable to sign HASH_R with our RSA key",
            );
            return;
        };
        let payloads = vec![own_id, auth_payload];
        let (reply, iv) = keys.seal(sa.header(PayloadType::IDENTIFICATION), &payloads, &sa.iv);
        sa.iv = iv;
        self.transmit_reply(sa, reply);
        let conn = sa.conn.clone();
        self.transition_line(&conn, sa.serial, StateName::MainR2, StateName::MainR3);
        self.isakmp_established(now, sa, &config, StateName::MainR3);
        let initial_contact = opened.payloads.iter().any(
            |p| matches!(p, Payload::Notify(n) if n.notify_type == NotifyType::INITIAL_CONTACT),
        );
        if initial_contact {
            let conn = sa.conn.clone();
            self.forget_older_isakmp_sas(now, sa.serial, &conn, sa.icookie, sa.remote);
        }
    }

    /// MR3 arrived: authenticate the responder; the ISAKMP SA is established.
    fn main_i3_receive(&mut self, now: Instant, sa: &mut IsakmpSa, bytes: &[u8]) {
        let Some(config) = self.engine.connection(&sa.conn).map(|c| c.config.clone()) else {
            return;
        };
        let Some(keys) = sa.keys.clone() else { return };
        let Ok(opened) = keys.open(bytes, &sa.iv) else {
            debug!(target: "ike_sm", serial = sa.serial, "dropping MR3 that does not decrypt");
            return;
        };
        let Some((id, id_b)) = find_id(&opened.payloads) else {
            return;
        };
        let expected = hash_r(&keys, sa, &id_b);
        if let Err(failure) = verify_auth(&config.auth, &opened.payloads, &expected) {
            self.status_line(3, &sa.conn, sa.serial, failure.describe(&config.auth, id));
            return;
        }
        if !phase1_id_matches(id, &config.remote_id, config.remote.ip()) {
            let text = format!(
                "we require peer to have ID '{}', but peer declares '{}'",
                config.remote_id.resolve(config.remote.ip()),
                describe_id(id)
            );
            self.status_line(3, &sa.conn, sa.serial, text);
            return;
        }
        sa.iv = opened.next_iv;
        sa.last_in = bytes.to_vec();
        sa.retransmit = None;
        self.isakmp_established(now, sa, &config, StateName::MainI4);
    }

    /// Moves `sa` to its established state, reports it, and arms its lifetime timers.
    fn isakmp_established(
        &mut self,
        now: Instant,
        sa: &mut IsakmpSa,
        config: &ConnectionConfig,
        state: StateName,
    ) {
        sa.state = state;
        sa.discard_at = None;
        sa.dh = None;
        let details = sa.established_details();
        let text = format!(
            "{}: {}{}",
            state.name(),
            state.story(),
            if details.is_empty() {
                String::new()
            } else {
                format!(" {details}")
            }
        );
        self.status_line(4, &sa.conn, sa.serial, text);
        self.events.push_back(Event::IsakmpSaEstablished {
            conn: sa.conn.clone(),
            serial: sa.serial,
        });

        sa.expire_at = Some(now + sa.lifetime);
        if sa.initiator && config.rekey {
            let random = self.rng.next_u32();
            sa.replace_at = Some(replace_deadline(
                now,
                sa.lifetime,
                config.rekey_margin,
                config.rekey_fuzz_percent,
                random,
            ));
        }
        if sa.nat_local {
            sa.keepalive_at = Some(now + self.config.nat_keepalive);
        }
        if let (Some(dpd), true) = (config.dpd, sa.peer_dpd) {
            sa.dpd.next_probe = Some(now + dpd.delay);
        }
        if let Some(choice) = &sa.choice {
            let algorithm = names::ike_algorithm(
                choice.proposal.cipher,
                choice.proposal.hash,
                choice.proposal.group,
            );
            if let Some(conn) = self.engine.connection_mut(&sa.conn) {
                conn.newest_isakmp = Some(sa.serial);
                conn.ike_algorithm_newest = Some(algorithm);
                conn.attempts = 0;
            }
        }
        if let Some(old) = sa.replaces.take() {
            // The replaced SA stays until it expires, so that exchanges under way on it finish.
            if let Some(old_sa) = self.engine.isakmp.get_mut(&old) {
                old_sa.replace_at = None;
            }
        }
        if let Some(replaces) = sa.pending_quick_mode.take() {
            // Quick Mode starts once `sa` is back in the table.
            self.engine.pending_quick_modes.push((sa.serial, replaces));
        }
    }

    /// Sends an unencrypted Informational with one Notify, as replies to messages that cannot
    /// be processed are sent before keys exist (RFC 2408 5). No state is created.
    pub(crate) fn send_plain_notify(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        icookie: [u8; 8],
        rcookie: [u8; 8],
        notify_type: NotifyType,
    ) {
        let header = Header {
            initiator_cookie: icookie,
            responder_cookie: rcookie,
            next_payload: PayloadType::NOTIFICATION,
            version: ISAKMP_VERSION_1_0,
            exchange_type: ExchangeType::INFORMATIONAL,
            flags: Default::default(),
            message_id: 0,
            length: 0,
        };
        let notify = Notification {
            reserved: 0,
            doi: Doi::IPSEC,
            protocol: ProtocolId::ISAKMP,
            notify_type,
            spi: Vec::new(),
            data: Vec::new(),
        };
        let bytes = plain_message(header, vec![Payload::Notify(notify)]);
        self.send(local, remote, &bytes);
    }

    /// Runs the due timers of ISAKMP SA `serial`.
    pub(crate) fn phase1_timeout(&mut self, now: Instant, serial: u32) {
        let Some(mut sa) = self.engine.isakmp.remove(&serial) else {
            return;
        };
        let mut keep = true;

        if sa.retransmit.as_ref().is_some_and(|r| r.at <= now) {
            keep = self.phase1_retransmit(now, &mut sa);
        }
        if keep && sa.discard_at.is_some_and(|at| at <= now) {
            debug!(target: "ike_sm", serial, state = sa.state.name(), "discarding half-open state");
            keep = false;
        }
        if keep && sa.expire_at.is_some_and(|at| at <= now) {
            self.engine.isakmp.insert(serial, sa);
            self.delete_isakmp_sa(now, serial, true);
            return;
        }
        if keep && sa.replace_at.is_some_and(|at| at <= now) {
            sa.replace_at = None;
            self.engine.isakmp.insert(serial, sa);
            let conn = self.engine.isakmp[&serial].conn.clone();
            self.start_main_mode(now, &conn, Some(serial));
            self.run_pending_quick_modes(now);
            return;
        }
        if keep && sa.keepalive_at.is_some_and(|at| at <= now) {
            // RFC 3948 2.3: a single 0xFF octet to port 4500 keeps the NAT mapping open.
            self.transmits.push_back(crate::endpoint::Transmit {
                local: sa.local,
                remote: sa.remote,
                payload: vec![ike_wire::NAT_KEEPALIVE],
            });
            sa.keepalive_at = Some(now + self.config.nat_keepalive);
        }
        if keep {
            self.engine.isakmp.insert(serial, sa);
            self.dpd_timeout(now, serial);
        }
    }

    /// Retransmits the last message of `sa`, or gives up when the budget is spent. Returns
    /// whether the state survives.
    fn phase1_retransmit(&mut self, now: Instant, sa: &mut IsakmpSa) -> bool {
        let Some(retransmit) = sa.retransmit.as_mut() else {
            return true;
        };
        if retransmit.count >= self.config.max_retransmissions {
            let (conn, serial, state) = (sa.conn.clone(), sa.serial, sa.state);
            self.retransmissions_exhausted(&conn, serial, state);
            self.retry_keying(now, &conn, sa.replaces);
            return false;
        }
        retransmit.count += 1;
        retransmit.interval *= 2;
        retransmit.at = now + retransmit.interval;
        if let Some(sent) = sa.last_out.clone() {
            self.send(sent.local, sent.remote, &sent.bytes);
        }
        true
    }

    /// Starts another keying attempt after a failed one, within `keyingtries`.
    pub(crate) fn retry_keying(&mut self, now: Instant, conn: &str, replaces: Option<u32>) {
        let Some(connection) = self.engine.connection_mut(conn) else {
            return;
        };
        let tries = connection.config.keying_tries;
        if connection.attempts == 0 {
            return;
        }
        if tries != 0 && connection.attempts >= tries {
            connection.attempts = 0;
            return;
        }
        connection.attempts += 1;
        let attempt = connection.attempts;
        let limit = if tries == 0 {
            "an unlimited number".to_owned()
        } else {
            format!("at most {tries}")
        };
        let serial = self.engine.next_serial + 1;
        self.status_line(
            0,
            conn,
            serial,
            format!("starting keying attempt {attempt} of {limit}"),
        );
        self.start_main_mode(now, conn, replaces);
    }

    /// Deletes ISAKMP SA `serial`, telling the peer when `notify` is set and keys exist.
    pub(crate) fn delete_isakmp_sa(&mut self, now: Instant, serial: u32, notify: bool) {
        let Some(sa) = self.engine.isakmp.get(&serial) else {
            return;
        };
        if notify && sa.is_established() {
            let mut spi = sa.icookie.to_vec();
            spi.extend_from_slice(&sa.rcookie);
            let delete = ike_wire::Delete {
                reserved: 0,
                doi: Doi::IPSEC,
                protocol: ProtocolId::ISAKMP,
                spi_size: 16,
                spis: vec![spi],
            };
            self.send_informational(now, serial, vec![Payload::Delete(delete)]);
        }
        let Some(sa) = self.engine.isakmp.remove(&serial) else {
            return;
        };
        if sa.is_established() {
            self.events.push_back(Event::IsakmpSaDeleted {
                conn: sa.conn.clone(),
                serial,
            });
        }
        if let Some(conn) = self.engine.connection_mut(&sa.conn) {
            if conn.newest_isakmp == Some(serial) {
                conn.newest_isakmp = None;
            }
        }
    }
}

/// Creates the state of a new ISAKMP SA from its cookies and (local, remote) addresses.
fn new_isakmp_sa(
    serial: u32,
    config: &ConnectionConfig,
    initiator: bool,
    (icookie, rcookie): ([u8; 8], [u8; 8]),
    (local, remote): (SocketAddr, SocketAddr),
) -> IsakmpSa {
    let auth = auth_kind(&config.auth);
    IsakmpSa {
        serial,
        conn: config.name.clone(),
        initiator,
        state: if initiator {
            StateName::MainI1
        } else {
            StateName::MainR0
        },
        icookie,
        rcookie,
        local,
        remote,
        auth,
        choice: None,
        sa_i_b: Vec::new(),
        dh: None,
        ke_i: Vec::new(),
        ke_r: Vec::new(),
        ni: Vec::new(),
        nr: Vec::new(),
        keys: None,
        iv: Vec::new(),
        natt: None,
        peer_dpd: false,
        nat_local: false,
        nat_remote: false,
        last_in: Vec::new(),
        last_out: None,
        retransmit: None,
        discard_at: None,
        replace_at: None,
        expire_at: None,
        keepalive_at: None,
        dpd: Dpd::default(),
        lifetime: config.ike_lifetime,
        replaces: None,
        pending_quick_mode: None,
    }
}

pub(crate) fn auth_kind(auth: &Auth) -> AuthKind {
    match auth {
        Auth::Psk(_) => AuthKind::Psk,
        Auth::Rsa { .. } => AuthKind::RsaSig,
    }
}

/// Vendor IDs we send: NAT-T (all variants as initiator, the chosen one as responder) and DPD.
fn vendor_ids(
    config: &ConnectionConfig,
    responder_natt: Option<Option<NattMethod>>,
) -> Vec<Payload> {
    let mut out = Vec::new();
    if config.nat_traversal {
        match responder_natt {
            None => out.extend(
                NattMethod::offered_vids()
                    .iter()
                    .map(|v| Payload::VendorId(VendorId::new(v.to_vec()))),
            ),
            Some(Some(method)) => out.push(Payload::VendorId(VendorId::new(method.vid().to_vec()))),
            Some(None) => {}
        }
    }
    out.push(Payload::VendorId(VendorId::new(VID_DPD.to_vec())));
    out
}

/// Reads the peer's vendor IDs: the best NAT-T method and DPD support.
fn read_vendor_ids(payloads: &[Payload]) -> (Option<NattMethod>, bool) {
    let mut natt = None;
    let mut dpd = false;
    for payload in payloads {
        if let Payload::VendorId(vid) = payload {
            if let Some(method) = NattMethod::from_vid(&vid.data) {
                natt = natt.max(Some(method));
            }
            if vid.data.starts_with(&VID_DPD) {
                dpd = true;
            }
        }
    }
    (natt, dpd)
}

fn find_ke(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match p {
        Payload::Ke(ke) => Some(ke.data.as_slice()),
        _ => None,
    })
}

fn find_nonce(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match p {
        Payload::Nonce(nonce) => Some(nonce.data.as_slice()),
        _ => None,
    })
}

fn find_hash(payloads: &[Payload]) -> Option<&[u8]> {
    payloads.iter().find_map(|p| match p {
        Payload::Hash(hash) => Some(hash.data.as_slice()),
        _ => None,
    })
}

fn find_id(payloads: &[Payload]) -> Option<(&ike_wire::Identification, Vec<u8>)> {
    payloads.iter().find_map(|p| match p {
        Payload::Id(id) => Some((id, p.body_to_vec().ok()?)),
        _ => None,
    })
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub(crate) fn ike_hash(choice: &IkeChoice) -> Hash {
    Hash::from_attribute(proposal::hash_attribute(choice.proposal.hash)).unwrap_or(Hash::Sha1)
}

fn dh_group(choice: &IkeChoice) -> Option<DhGroup> {
    DhGroup::from_id(choice.proposal.group.number()).ok()
}

/// Derives SKEYID and its children (RFC 2409 5) and the phase 1 encryption key (appendix B).
fn derive_phase1_keys(
    auth: &Auth,
    choice: &IkeChoice,
    sa: &IsakmpSa,
    gxy: &Secret,
) -> Option<Phase1Keys> {
    let hash = ike_hash(choice);
    let prf = Prf::hmac(hash);
    let (encryption, key_len) = proposal::cipher_attributes(choice.proposal.cipher);
    let cipher = Phase1Cipher::from_attributes(encryption, key_len).ok()?;

    let (icookie, rcookie) = sa.cookies();
    let skeyid = match auth {
        Auth::Psk(psk) => kdf::skeyid_psk(prf, psk, &sa.ni, &sa.nr),
        Auth::Rsa { .. } => kdf::skeyid_sig(prf, &sa.ni, &sa.nr, gxy.as_bytes()),
    };
    let kdf::SkeyidChain {
        skeyid_d,
        skeyid_a,
        skeyid_e,
    } = kdf::skeyid_dae(prf, &skeyid, gxy.as_bytes(), &icookie, &rcookie);
    let enc_key = kdf::phase1_enc_key(prf, &skeyid_e, cipher.key_len());
    Some(Phase1Keys {
        prf,
        hash,
        cipher,
        skeyid,
        skeyid_d,
        skeyid_a,
        enc_key,
    })
}

/// IV of the first encrypted message: hash(g^xi | g^xr) truncated to the block size.
fn phase1_iv(keys: &Phase1Keys, ke_i: &[u8], ke_r: &[u8]) -> Vec<u8> {
    kdf::phase1_iv(keys.hash, ke_i, ke_r, keys.cipher.block_size())
}

/// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 5).
fn hash_i(keys: &Phase1Keys, sa: &IsakmpSa, id_b: &[u8]) -> Vec<u8> {
    kdf::hash_i(
        keys.prf,
        &keys.skeyid,
        &sa.ke_i,
        &sa.ke_r,
        &sa.icookie,
        &sa.rcookie,
        &sa.sa_i_b,
        id_b,
    )
}

/// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 5).
fn hash_r(keys: &Phase1Keys, sa: &IsakmpSa, id_b: &[u8]) -> Vec<u8> {
    kdf::hash_r(
        keys.prf,
        &keys.skeyid,
        &sa.ke_i,
        &sa.ke_r,
        &sa.icookie,
        &sa.rcookie,
        &sa.sa_i_b,
        id_b,
    )
}

/// Builds the INITIAL-CONTACT notification of ISAKMP SA `sa`: protocol ISAKMP, with the two
/// cookies as SPI (RFC 2407 4.6.3.3).
fn initial_contact(sa: &IsakmpSa) -> Notification {
    let mut spi = sa.icookie.to_vec();
    spi.extend_from_slice(&sa.rcookie);
    Notification {
        reserved: 0,
        doi: Doi::IPSEC,
        protocol: ProtocolId::ISAKMP,
        notify_type: NotifyType::INITIAL_CONTACT,
        spi,
        data: Vec::new(),
    }
}

/// Reason the peer's HASH_I/HASH_R or SIG_I/SIG_R was rejected.
enum AuthFailure {
    Missing,
    HashMismatch,
    BadSignature,
}

impl AuthFailure {
    /// Returns Openswan's line for the failure.
    fn describe(&self, auth: &Auth, id: &ike_wire::Identification) -> String {
        match (self, auth) {
            (AuthFailure::Missing, _) => {
                "missing HASH or SIG payload in the last Main Mode message".to_owned()
            }
            (AuthFailure::HashMismatch, _) => {
                "received Hash Payload does not match computed value".to_owned()
            }
            (AuthFailure::BadSignature, Auth::Rsa { remote, .. }) => {
                format!(
                    "Signature check (on {}) failed (wrong key?); tried *{}",
                    describe_id(id),
                    remote.keyid()
                )
            }
            (AuthFailure::BadSignature, _) => "signature check failed".to_owned(),
        }
    }
}

/// Builds the authentication payload of MI3/MR3: HASH for pre-shared keys, SIG for RSA.
fn auth_payload(auth: &Auth, hash: &[u8]) -> Option<Payload> {
    match auth {
        Auth::Psk(_) => Some(Payload::Hash(ike_wire::Hash::new(hash.to_vec()))),
        Auth::Rsa { local, .. } => {
            let signature = local.ikev1_sign(hash).ok()?;
            Some(Payload::Sig(ike_wire::Signature::new(signature)))
        }
    }
}

/// Checks the peer's HASH (pre-shared key) or SIG (RSA) against the expected hash.
fn verify_auth(auth: &Auth, payloads: &[Payload], expected: &[u8]) -> Result<(), AuthFailure> {
    match auth {
        Auth::Psk(_) => {
            let received = find_hash(payloads).ok_or(AuthFailure::Missing)?;
            if constant_time_eq(received, expected) {
                Ok(())
            } else {
                Err(AuthFailure::HashMismatch)
            }
        }
        Auth::Rsa { remote, .. } => {
            let signature = payloads
                .iter()
                .find_map(|p| match p {
                    Payload::Sig(sig) => Some(sig.data.as_slice()),
                    _ => None,
                })
                .ok_or(AuthFailure::Missing)?;
            remote
                .ikev1_verify(expected, signature)
                .map_err(|_| AuthFailure::BadSignature)
        }
    }
}
