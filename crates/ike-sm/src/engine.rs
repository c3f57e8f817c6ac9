//! Connection and state bookkeeping behind [`Endpoint`]: datagram dispatch, timers, status.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ike_wire::{
    split_udp4500, with_non_esp_marker, EncryptedMessage, ExchangeType, Flags, Header, Message,
    Payload, PayloadType, Udp4500Payload, HEADER_LEN,
};
use rand_core::{CryptoRng, RngCore};
use tracing::debug;

use crate::config::{ConnectionConfig, Identity};
use crate::crypto::{kdf, Hash, Phase1Cipher, Prf, Secret};
use crate::endpoint::{Endpoint, EndpointError, EngineRng, Transmit};
use crate::event::{Event, FailureReason, StatusLine};
use crate::names::{self, StateName};
use crate::phase1::IsakmpSa;
use crate::phase2::IpsecSa;
use crate::status::{ConnectionStatus, EndpointStatus, StateKind, StateStatus};

/// UDP port of IKE after the NAT-T float (RFC 3947 4).
pub(crate) const NATT_PORT: u16 = 4500;

/// Largest IKE datagram accepted. IKEv1 messages without certificates stay far below this, and
/// a bound keeps a flood of large datagrams from costing decryption time.
pub(crate) const MAX_DATAGRAM_LEN: usize = 64 * 1024;

/// One configured connection and what the engine remembers about it.
pub(crate) struct Connection {
    /// Shared, so that a handler that needs the configuration while it mutates the engine
    /// clones a pointer instead of every string and proposal list.
    pub(crate) config: Arc<ConnectionConfig>,
    pub(crate) newest_isakmp: Option<u32>,
    pub(crate) newest_ipsec: Option<u32>,
    pub(crate) ike_algorithm_newest: Option<String>,
    pub(crate) esp_algorithm_newest: Option<String>,
    /// Keying attempts of the current negotiation, for `keyingtries`.
    pub(crate) attempts: u32,
}

/// Connections and states of an endpoint.
#[derive(Default)]
pub(crate) struct Engine {
    pub(crate) connections: Vec<Connection>,
    /// States are boxed because handlers take a state out of its table and put it back. Each
    /// move then copies a pointer instead of the whole state, and a B-tree node (room for eleven
    /// entries) stays small instead of taking several kilobytes per endpoint.
    pub(crate) isakmp: BTreeMap<u32, Box<IsakmpSa>>,
    pub(crate) ipsec: BTreeMap<u32, Box<IpsecSa>>,
    pub(crate) next_serial: u32,
    /// Quick Modes to start once the named ISAKMP SA is back in the table: (ISAKMP serial,
    /// IPsec SA to replace).
    pub(crate) pending_quick_modes: Vec<(u32, Option<u32>)>,
}

impl Engine {
    pub(crate) fn connection(&self, name: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.config.name == name)
    }

    pub(crate) fn connection_mut(&mut self, name: &str) -> Option<&mut Connection> {
        self.connections.iter_mut().find(|c| c.config.name == name)
    }

    pub(crate) fn allocate_serial(&mut self) -> u32 {
        self.next_serial += 1;
        self.next_serial
    }
}

/// An RNG borrowed from the endpoint, usable where a sized `CryptoRngCore` is expected.
pub(crate) struct RngRef<'a>(pub(crate) &'a mut dyn EngineRng);

impl RngCore for RngRef<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for RngRef<'_> {}

/// Phase 1 keys used to protect messages after Main Mode's key exchange.
#[derive(Clone)]
pub(crate) struct Phase1Keys {
    pub(crate) prf: Prf,
    pub(crate) hash: Hash,
    pub(crate) cipher: Phase1Cipher,
    pub(crate) skeyid: Secret,
    pub(crate) skeyid_d: Secret,
    pub(crate) skeyid_a: Secret,
    pub(crate) enc_key: Secret,
}

/// Reason an encrypted message could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// The header or the length is invalid.
    Header,
    /// The body is not a whole number of cipher blocks.
    NotBlockAligned,
    /// The decrypted payload chain does not parse (wrong key, or a corrupt message).
    Payloads,
}

impl Phase1Keys {
    /// Encrypts `payloads` after `header` (RFC 2408 3.1 E flag, RFC 2409 appendix B) with IV
    /// `iv`, padding with zeros to the block size. Returns the message and the last ciphertext
    /// block, the next IV.
    pub(crate) fn seal(
        &self,
        mut header: Header,
        payloads: &[Payload],
        iv: &[u8],
    ) -> (Vec<u8>, Vec<u8>) {
        let block = self.cipher.block_size();
        let chain_len = ike_wire::payloads_len(payloads).unwrap_or(0);
        let mut out = Vec::with_capacity(HEADER_LEN + chain_len.div_ceil(block).max(1) * block);
        out.resize(HEADER_LEN, 0);
        if ike_wire::emit_payloads_into(payloads, &mut out).is_err() {
            out.truncate(HEADER_LEN);
        }
        let padded_len = (out.len() - HEADER_LEN).div_ceil(block).max(1) * block;
        out.resize(HEADER_LEN + padded_len, 0);
        // The key and IV lengths come from the cipher itself, so encryption cannot fail.
        let _ = self
            .cipher
            .encrypt_in_place(self.enc_key.as_bytes(), iv, &mut out[HEADER_LEN..]);

        header.flags = header.flags | Flags::ENCRYPTION;
        header.next_payload = payloads
            .first()
            .map(Payload::payload_type)
            .unwrap_or(PayloadType::NONE);
        header.length = u32::try_from(out.len()).unwrap_or(u32::MAX);
        out[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        let next_iv = out[out.len() - block..].to_vec();
        (out, next_iv)
    }

    /// Decrypts an encrypted message with IV `iv`. Returns the header, the plaintext payload
    /// bytes (with padding), the parsed payloads and the next IV (the last ciphertext block).
    pub(crate) fn open(&self, bytes: &[u8], iv: &[u8]) -> Result<Opened, OpenError> {
        let message = EncryptedMessage::parse(bytes).map_err(|_| OpenError::Header)?;
        let block = self.cipher.block_size();
        if message.body.is_empty() || message.body.len() % block != 0 {
            return Err(OpenError::NotBlockAligned);
        }
        let next_iv = message.body[message.body.len() - block..].to_vec();
        let mut plaintext = message.body.to_vec();
        self.cipher
            .decrypt_in_place(self.enc_key.as_bytes(), iv, &mut plaintext)
            .map_err(|_| OpenError::NotBlockAligned)?;
        let payloads = message
            .parse_decrypted(&plaintext)
            .map_err(|_| OpenError::Payloads)?;
        Ok(Opened {
            plaintext,
            payloads,
            next_iv,
        })
    }

    /// Computes the first IV of a phase 2 or Informational exchange: hash(last phase 1 block |
    /// M-ID) truncated to the block size (RFC 2409 appendix B).
    pub(crate) fn phase2_iv(&self, phase1_iv: &[u8], message_id: u32) -> Vec<u8> {
        kdf::phase2_iv(self.hash, phase1_iv, message_id, self.cipher.block_size())
    }
}

/// A decrypted message.
pub(crate) struct Opened {
    pub(crate) plaintext: Vec<u8>,
    pub(crate) payloads: Vec<Payload>,
    pub(crate) next_iv: Vec<u8>,
}

/// Returns the bytes of the payload chain in `plaintext` after the first payload and before any
/// padding: what a Quick Mode or Informational HASH covers (RFC 2409 5.5, 5.7).
pub(crate) fn bytes_after_first_payload(plaintext: &[u8]) -> Option<&[u8]> {
    let mut offset = 0usize;
    let mut first_end = None;
    loop {
        let header = plaintext.get(offset..offset + 4)?;
        let next = header[0];
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if length < 4 {
            return None;
        }
        offset = offset.checked_add(length)?;
        if offset > plaintext.len() {
            return None;
        }
        if first_end.is_none() {
            first_end = Some(offset);
        }
        if next == 0 {
            break;
        }
    }
    plaintext.get(first_end?..offset)
}

/// Builds a plaintext message.
pub(crate) fn plain_message(header: Header, payloads: Vec<Payload>) -> Vec<u8> {
    let message = Message {
        header,
        payloads,
        trailing: Vec::new(),
    };
    message.to_vec().unwrap_or_default()
}

/// Encodes an identity as an ID payload (RFC 2407 4.6.2). Phase 1 IDs carry UDP port 500 as
/// Openswan sends them.
pub(crate) fn phase1_id(id: &Identity, addr: IpAddr) -> ike_wire::Identification {
    use ike_wire::IdType;
    let (id_type, data) = match id.resolve(addr) {
        Identity::Ipv4(a) => (IdType::IPV4_ADDR, a.octets().to_vec()),
        Identity::Ipv6(a) => (IdType::IPV6_ADDR, a.octets().to_vec()),
        Identity::Fqdn(name) => (IdType::FQDN, name.into_bytes()),
        Identity::UserFqdn(name) => (IdType::USER_FQDN, name.into_bytes()),
        Identity::Address => unreachable!("resolve replaces Address"),
    };
    ike_wire::Identification {
        reserved: 0,
        id_type,
        protocol_id: 17,
        port: 500,
        data,
    }
}

/// Reports whether a received phase 1 ID payload names the expected identity. The protocol and
/// port must be 0 or UDP/500 (RFC 2407 4.6.2) or UDP/4500 after a NAT-T float.
pub(crate) fn phase1_id_matches(
    received: &ike_wire::Identification,
    expected: &Identity,
    addr: IpAddr,
) -> bool {
    let wanted = phase1_id(expected, addr);
    let port_ok = matches!(
        (received.protocol_id, received.port),
        (0, 0) | (17, 0) | (17, 500) | (17, 4500)
    );
    port_ok && received.id_type == wanted.id_type && received.data == wanted.data
}

/// Prints an identity payload as Openswan's status lines do.
pub(crate) fn describe_id(id: &ike_wire::Identification) -> String {
    use ike_wire::IdType;
    match id.id_type {
        IdType::IPV4_ADDR if id.data.len() == 4 => {
            std::net::Ipv4Addr::new(id.data[0], id.data[1], id.data[2], id.data[3]).to_string()
        }
        IdType::FQDN => format!("@{}", String::from_utf8_lossy(&id.data)),
        IdType::USER_FQDN => String::from_utf8_lossy(&id.data).into_owned(),
        other => format!("{other}"),
    }
}

impl Endpoint {
    /// Queues a status line.
    pub(crate) fn status_line(
        &mut self,
        code: u16,
        conn: &str,
        serial: u32,
        text: impl Into<String>,
    ) {
        let line = StatusLine {
            code,
            conn: conn.to_owned(),
            serial,
            text: text.into(),
        };
        debug!(target: "ike_sm", "{line}");
        self.events.push_back(Event::Status(line));
    }

    /// Queues the "new state" line of `state` with `text` after the state's name.
    pub(crate) fn state_line(&mut self, conn: &str, serial: u32, state: StateName, text: &str) {
        self.status_line(
            state.code(),
            conn,
            serial,
            format!("{}: {text}", state.name()),
        );
    }

    /// Queues a datagram, adding the non-ESP marker on port 4500.
    pub(crate) fn send(&mut self, local: SocketAddr, remote: SocketAddr, message: &[u8]) {
        let payload = if local.port() == NATT_PORT || remote.port() == NATT_PORT {
            with_non_esp_marker(message)
        } else {
            message.to_vec()
        };
        self.transmits.push_back(Transmit {
            local,
            remote,
            payload,
        });
    }

    pub(crate) fn random_bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.rng.fill_bytes(&mut out);
        out
    }

    pub(crate) fn random_u32_nonzero(&mut self) -> u32 {
        loop {
            let value = self.rng.next_u32();
            // SPIs 1..=255 are reserved by IANA (RFC 4303 2.1), and a message ID of 0 means phase 1.
            if value > 255 {
                return value;
            }
        }
    }

    pub(crate) fn engine_add_connection(
        &mut self,
        config: ConnectionConfig,
    ) -> Result<(), EndpointError> {
        if self.engine.connection(&config.name).is_some() {
            return Err(EndpointError::DuplicateConnection(config.name));
        }
        if config.local.is_ipv4() != config.remote.is_ipv4() {
            return Err(EndpointError::InvalidConfig {
                conn: config.name,
                reason: "local and remote addresses are of different families".to_owned(),
            });
        }
        self.engine.connections.push(Connection {
            config: Arc::new(config),
            newest_isakmp: None,
            newest_ipsec: None,
            ike_algorithm_newest: None,
            esp_algorithm_newest: None,
            attempts: 0,
        });
        Ok(())
    }

    pub(crate) fn engine_remove_connection(
        &mut self,
        now: Instant,
        name: &str,
    ) -> Result<(), EndpointError> {
        self.engine_delete(now, name)?;
        self.engine.connections.retain(|c| c.config.name != name);
        Ok(())
    }

    pub(crate) fn engine_initiate(
        &mut self,
        now: Instant,
        name: &str,
    ) -> Result<(), EndpointError> {
        let Some(conn) = self.engine.connection_mut(name) else {
            return Err(EndpointError::UnknownConnection(name.to_owned()));
        };
        conn.attempts = 1;
        let established = conn.newest_isakmp.filter(|serial| {
            self.engine
                .isakmp
                .get(serial)
                .is_some_and(|sa| sa.is_established())
        });
        match established {
            Some(isakmp) => self.start_quick_mode(now, isakmp, None),
            None => self.start_main_mode(now, name, None),
        }
        Ok(())
    }

    pub(crate) fn engine_handle(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        datagram: &[u8],
    ) {
        if datagram.len() > MAX_DATAGRAM_LEN {
            debug!(target: "ike_sm", %remote, len = datagram.len(), "dropping oversized datagram");
            return;
        }
        let bytes = if local.port() == NATT_PORT {
            match split_udp4500(datagram) {
                Ok(Udp4500Payload::Ike(ike)) => ike,
                Ok(_) => return,
                Err(error) => {
                    debug!(target: "ike_sm", %remote, %error, "dropping invalid UDP/4500 datagram");
                    return;
                }
            }
        } else {
            datagram
        };
        let header = match Header::parse(bytes) {
            Ok(header) => header,
            Err(error) => {
                debug!(target: "ike_sm", %remote, %error, "dropping datagram with an invalid ISAKMP header");
                return;
            }
        };
        if header.version >> 4 != 1 {
            debug!(target: "ike_sm", %remote, version = header.version, "dropping datagram of another IKE version");
            return;
        }
        let Some(bytes) = usize::try_from(header.length)
            .ok()
            .and_then(|len| bytes.get(..len))
        else {
            debug!(target: "ike_sm", %remote, "dropping truncated ISAKMP message");
            return;
        };
        if usize::try_from(header.length).ok() != Some(bytes.len()) || bytes.len() < HEADER_LEN {
            return;
        }
        match header.exchange_type {
            ExchangeType::IDENTITY_PROTECTION => {
                self.handle_main_mode(now, local, remote, &header, bytes)
            }
            ExchangeType::QUICK_MODE => self.handle_quick_mode(now, local, remote, &header, bytes),
            ExchangeType::INFORMATIONAL => {
                self.handle_informational(now, local, remote, &header, bytes)
            }
            ExchangeType::AGGRESSIVE => {
                debug!(target: "ike_sm", %remote, "rejecting Aggressive Mode: not supported");
            }
            other => {
                debug!(target: "ike_sm", %remote, exchange = %other, "dropping unsupported exchange type");
            }
        }
        self.run_pending_quick_modes(now);
    }

    pub(crate) fn engine_poll_timeout(&self) -> Option<Instant> {
        let phase1 = self.engine.isakmp.values().filter_map(|sa| sa.next_timer());
        let phase2 = self.engine.ipsec.values().filter_map(|sa| sa.next_timer());
        phase1.chain(phase2).min()
    }

    pub(crate) fn engine_handle_timeout(&mut self, now: Instant) {
        let due_phase1: Vec<u32> = self
            .engine
            .isakmp
            .iter()
            .filter(|(_, sa)| sa.next_timer().is_some_and(|at| at <= now))
            .map(|(serial, _)| *serial)
            .collect();
        for serial in due_phase1 {
            self.phase1_timeout(now, serial);
        }
        let due_phase2: Vec<u32> = self
            .engine
            .ipsec
            .iter()
            .filter(|(_, sa)| sa.next_timer().is_some_and(|at| at <= now))
            .map(|(serial, _)| *serial)
            .collect();
        for serial in due_phase2 {
            self.phase2_timeout(now, serial);
        }
        self.run_pending_quick_modes(now);
    }

    pub(crate) fn engine_delete(&mut self, now: Instant, name: &str) -> Result<(), EndpointError> {
        if self.engine.connection(name).is_none() {
            return Err(EndpointError::UnknownConnection(name.to_owned()));
        }
        let ipsec: Vec<u32> = self
            .engine
            .ipsec
            .values()
            .filter(|sa| sa.conn == name)
            .map(|sa| sa.serial)
            .collect();
        for serial in ipsec {
            self.delete_ipsec_sa(now, serial, true);
        }
        let isakmp: Vec<u32> = self
            .engine
            .isakmp
            .values()
            .filter(|sa| sa.conn == name)
            .map(|sa| sa.serial)
            .collect();
        for serial in isakmp {
            self.delete_isakmp_sa(now, serial, true);
        }
        Ok(())
    }

    /// Reports a state's failure with Openswan's retransmission line and ends it.
    pub(crate) fn retransmissions_exhausted(&mut self, conn: &str, serial: u32, state: StateName) {
        let limit = self.config.max_retransmissions;
        let hint = match state {
            StateName::MainI1 => "No response (or no acceptable response) to our first IKE message",
            StateName::MainI3 => "Possible authentication failure: no acceptable response to our first encrypted message",
            StateName::QuickI1 => "No acceptable response to our first Quick Mode message: perhaps peer likes no proposal",
            _ => "",
        };
        let mut text = format!(
            "max number of retransmissions ({limit}) reached {}",
            state.name()
        );
        if !hint.is_empty() {
            // Openswan separates the hint with a full stop and two spaces.
            text.push_str(".  ");
            text.push_str(hint);
        }
        self.status_line(31, conn, serial, text);
        self.events.push_back(Event::Failed {
            conn: conn.to_owned(),
            serial,
            reason: FailureReason::RetransmissionsExhausted {
                state: state.name(),
            },
        });
    }

    pub(crate) fn engine_status(&self) -> EndpointStatus {
        let connections = self
            .engine
            .connections
            .iter()
            .map(|c| ConnectionStatus {
                name: c.config.name.clone(),
                local: c.config.local,
                remote: c.config.remote,
                local_subnet: c.config.local_subnet,
                remote_subnet: c.config.remote_subnet,
                newest_isakmp: c.newest_isakmp,
                newest_ipsec: c.newest_ipsec,
                ike_algorithm_newest: c.ike_algorithm_newest.clone(),
                esp_algorithm_newest: c.esp_algorithm_newest.clone(),
            })
            .collect();
        let mut states: Vec<StateStatus> = Vec::new();
        for sa in self.engine.isakmp.values() {
            let newest = self
                .engine
                .connection(&sa.conn)
                .is_some_and(|c| c.newest_isakmp == Some(sa.serial));
            states.push(StateStatus {
                serial: sa.serial,
                conn: sa.conn.clone(),
                kind: StateKind::Isakmp,
                state: sa.state.name(),
                story: sa.state.story(),
                next_event: sa.next_event(),
                newest,
                esp_spis: None,
            });
        }
        for sa in self.engine.ipsec.values() {
            let newest = self
                .engine
                .connection(&sa.conn)
                .is_some_and(|c| c.newest_ipsec == Some(sa.serial));
            states.push(StateStatus {
                serial: sa.serial,
                conn: sa.conn.clone(),
                kind: StateKind::Ipsec,
                state: sa.state.name(),
                story: sa.state.story(),
                next_event: sa.next_event(),
                newest,
                esp_spis: sa.peer_spi.map(|peer| (peer, sa.our_spi)),
            });
        }
        states.sort_by_key(|s| s.serial);
        EndpointStatus {
            connections,
            states,
        }
    }

    pub(crate) fn engine_decryption_table(&self) -> Vec<([u8; 8], Vec<u8>)> {
        self.engine
            .isakmp
            .values()
            .filter_map(|sa| {
                sa.keys
                    .as_ref()
                    .map(|keys| (sa.icookie, keys.enc_key.as_bytes().to_vec()))
            })
            .collect()
    }
}

/// Retransmission bookkeeping of the last message a state sent.
#[derive(Debug, Clone)]
pub(crate) struct Retransmit {
    pub(crate) at: Instant,
    pub(crate) interval: Duration,
    pub(crate) count: u32,
}

impl Retransmit {
    pub(crate) fn start(now: Instant, interval: Duration) -> Self {
        Self {
            at: now + interval,
            interval,
            count: 0,
        }
    }
}

/// A message kept to be sent again: on a retransmission timer, or when the peer repeats the
/// message it replied to.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) bytes: Vec<u8>,
}

/// Returns a deadline `lifetime - margin * (1 + fuzz * r)` after `now`, where `r` comes from
/// `random` in [0, 1): when to start replacing an SA (Openswan's rekeymargin and rekeyfuzz).
pub(crate) fn replace_deadline(
    now: Instant,
    lifetime: Duration,
    margin: Duration,
    fuzz_percent: u32,
    random: u32,
) -> Instant {
    let fuzz = margin.as_secs_f64() * f64::from(fuzz_percent) / 100.0
        * (f64::from(random) / f64::from(u32::MAX));
    let before = margin.as_secs_f64() + fuzz;
    let lifetime = lifetime.as_secs_f64();
    // Keep at least a tenth of the lifetime before the replacement, so that short lifetimes in
    // tests still leave the SA some use.
    let at = (lifetime - before).max(lifetime / 10.0);
    now + Duration::from_secs_f64(at)
}

pub(crate) use names::notify as notify_name;
