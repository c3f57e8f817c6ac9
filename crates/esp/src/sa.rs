//! Security associations: per-direction state and the per-packet transforms.

use core::fmt;
use core::ops::Range;
use std::net::IpAddr;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, RngCore, SeedableRng};

use crate::buf::PacketBuf;
use crate::crypto::{Ciphers, MacState};
use crate::ip::{
    self, IpHeader, IPV4_HEADER_LEN, IPV6_HEADER_LEN, PROTO_ESP, PROTO_IPV4, PROTO_IPV6,
};
use crate::ip::{PROTO_NO_NEXT_HEADER, PROTO_UDP, UDP_HEADER_LEN};
use crate::lifetime::LifetimeState;
use crate::{
    Cipher, ConfigError, EspError, Keys, Lifetime, LifetimeEvent, ReplayWindow, Suite, UdpEncap,
};

/// Length of the ESP header: SPI and sequence number.
pub const ESP_HEADER_LEN: usize = 8;

/// Default anti-replay window, in packets (RFC 4303 3.4.3 recommends 64 as the default).
pub const DEFAULT_REPLAY_WINDOW: u32 = 64;

/// Largest IP header kept in transport mode: an IPv4 header with 40 bytes of options.
const MAX_TRANSPORT_HEADER_LEN: usize = 60;

/// ESP mode (RFC 4303 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// A whole IP packet is protected and carried behind a new outer header.
    Tunnel,
    /// The packet's payload is protected; its IP header stays in front of the ESP header.
    Transport,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Tunnel => "tunnel",
            Mode::Transport => "transport",
        }
    }
}

/// Parameters of one SA direction, apart from the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaConfig {
    /// Security Parameter Index, as carried on the wire.
    pub spi: u32,
    /// Cipher and integrity algorithm.
    pub suite: Suite,
    /// Tunnel or transport mode.
    pub mode: Mode,
    /// Source address of the outer header: this host for outbound SAs, the peer for inbound.
    pub src: IpAddr,
    /// Destination address of the outer header.
    pub dst: IpAddr,
    /// 64-bit extended sequence numbers (RFC 4303 2.2.1).
    pub esn: bool,
    /// Anti-replay window in packets for inbound SAs, 0 to disable; outbound SAs ignore it.
    pub replay_window: u32,
    /// Soft and hard lifetimes.
    pub lifetime: Lifetime,
    /// UDP ports when ESP travels in UDP (RFC 3948).
    pub udp_encap: Option<UdpEncap>,
}

impl SaConfig {
    /// Creates a configuration with 32-bit sequence numbers, the default replay window, no lifetime
    /// limits and no UDP encapsulation.
    pub fn new(spi: u32, suite: Suite, mode: Mode, src: IpAddr, dst: IpAddr) -> SaConfig {
        SaConfig {
            spi,
            suite,
            mode,
            src,
            dst,
            esn: false,
            replay_window: DEFAULT_REPLAY_WINDOW,
            lifetime: Lifetime::default(),
            udp_encap: None,
        }
    }

    fn check(&self, keys: &Keys) -> Result<(), ConfigError> {
        keys.check(self.suite)?;
        if self.src.is_ipv4() != self.dst.is_ipv4() {
            return Err(ConfigError::TunnelEndpoints(
                "source and destination differ in IP version",
            ));
        }
        Ok(())
    }
}

/// Packet and error counts of one SA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets encapsulated, or decapsulated and accepted.
    pub packets: u64,
    /// Bytes of inner packets (tunnel mode) or payloads (transport mode) in those packets.
    pub bytes: u64,
    /// Packets rejected as replays.
    pub replayed: u64,
    /// Packets rejected as older than the replay window.
    pub stale: u64,
    /// Packets whose ICV or AEAD tag failed.
    pub icv_failures: u64,
    /// Packets with invalid padding or a ciphertext that is not a whole number of blocks.
    pub bad_padding: u64,
    /// Packets too short for their headers or trailer.
    pub truncated: u64,
    /// Packets whose SPI is not this SA's.
    pub spi_mismatches: u64,
    /// Packets with a Next Header or inner packet unfit for the mode.
    pub invalid_inner: u64,
    /// Packets rejected for lack of headroom or tailroom in the caller's buffer.
    pub buffer_errors: u64,
    /// Packets rejected because the SA expired or ran out of sequence numbers.
    pub expired: u64,
    /// Dummy packets (Next Header 59) received and discarded.
    pub dummy: u64,
}

impl Counters {
    fn count_error(&mut self, error: &EspError) {
        let counter = match error {
            EspError::Truncated { .. } => &mut self.truncated,
            EspError::SpiMismatch { .. } => &mut self.spi_mismatches,
            EspError::Replay { .. } => &mut self.replayed,
            EspError::Stale { .. } => &mut self.stale,
            EspError::IcvMismatch { .. } => &mut self.icv_failures,
            EspError::BadCiphertextLength { .. } | EspError::BadPadding { .. } => {
                &mut self.bad_padding
            }
            EspError::UnexpectedNextHeader { .. } | EspError::InvalidInnerPacket { .. } => {
                &mut self.invalid_inner
            }
            EspError::NoHeadroom { .. } | EspError::NoTailroom { .. } => &mut self.buffer_errors,
            EspError::SequenceExhausted | EspError::Expired(_) => &mut self.expired,
        };
        *counter += 1;
    }

    fn count_packet(&mut self, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
    }
}

/// State shared by both directions: keyed algorithms, lifetime and counters.
struct SaCore {
    config: SaConfig,
    ciphers: Ciphers,
    mac: MacState,
    lifetime: LifetimeState,
    counters: Counters,
}

impl SaCore {
    fn new(config: SaConfig, keys: &Keys, now: Instant) -> Result<SaCore, ConfigError> {
        config.check(keys)?;
        Ok(SaCore {
            ciphers: Ciphers::new(config.suite.cipher(), keys),
            mac: MacState::new(config.suite, keys),
            lifetime: LifetimeState::new(config.lifetime, now),
            counters: Counters::default(),
            config,
        })
    }

    /// Rejects the packet if a hard limit was reached, possibly right now by the clock.
    ///
    /// Soft limits are left for [`finish`](Self::finish) to report, so that a packet rejected
    /// later on (a forged ICV, a small buffer) does not swallow the rekey event.
    fn check_alive(&mut self, now: Instant) -> Result<(), EspError> {
        match self
            .lifetime
            .check_hard(now, self.counters.bytes, self.counters.packets)
        {
            Some(kind) => Err(EspError::Expired(kind)),
            None => Ok(()),
        }
    }

    /// Counts a processed packet and returns the lifetime event it or the clock raised.
    fn finish(&mut self, now: Instant, bytes: usize) -> Option<LifetimeEvent> {
        self.counters.count_packet(bytes);
        self.lifetime
            .update(now, self.counters.bytes, self.counters.packets)
    }

    fn poll_lifetime(&mut self, now: Instant) -> Option<LifetimeEvent> {
        self.lifetime
            .update(now, self.counters.bytes, self.counters.packets)
    }
}

impl fmt::Debug for SaCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sa")
            .field("config", &self.config)
            .field("counters", &self.counters)
            .field("expired", &self.lifetime.expired())
            .finish_non_exhaustive()
    }
}

/// The location of an encapsulated packet in the caller's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encapsulated {
    /// The whole outer IP packet: send it through a raw socket or a TUN device.
    pub packet: Range<usize>,
    /// The ESP packet from its SPI to its ICV: send it through a UDP socket on port 4500 when
    /// the SA uses UDP encapsulation, or through a raw ESP socket.
    pub esp: Range<usize>,
    /// Sequence number the packet carries (the full 64 bits with ESN).
    pub seq: u64,
    /// A lifetime limit reached by this packet, reported once.
    pub lifetime_event: Option<LifetimeEvent>,
}

/// The outbound direction of an SA: protects packets for sending.
///
/// CBC IVs come from a ChaCha20 CSPRNG that the SA owns, seeded at creation from the
/// caller's CSPRNG. AES-GCM IVs are the 64-bit sequence number, unique per key (RFC 4106 3.1).
pub struct OutboundSa {
    core: SaCore,
    seq: u64,
    ip_id: u16,
    iv_rng: ChaCha20Rng,
}

impl OutboundSa {
    /// Creates the SA at time `now`, seeding its IV generator from `rng`.
    ///
    /// # Errors
    /// [`ConfigError`] for key lengths that do not fit the suite, or mixed IPv4/IPv6 outer
    /// addresses.
    pub fn new(
        config: SaConfig,
        keys: &Keys,
        now: Instant,
        rng: &mut impl CryptoRngCore,
    ) -> Result<OutboundSa, ConfigError> {
        let core = SaCore::new(config, keys, now)?;
        let ip_id = (rng.next_u32() & 0xffff) as u16;
        Ok(OutboundSa {
            core,
            seq: 0,
            ip_id,
            iv_rng: ChaCha20Rng::from_rng(rng).expect("CSPRNG seeding"),
        })
    }

    /// Returns the configuration.
    pub fn config(&self) -> &SaConfig {
        &self.core.config
    }

    /// Returns the counters.
    pub fn counters(&self) -> &Counters {
        &self.core.counters
    }

    /// Returns the last sequence number sent (0 before the first packet).
    pub fn last_seq(&self) -> u64 {
        self.seq
    }

    /// Reports a lifetime limit reached by the clock alone; call it from a timer.
    pub fn poll_lifetime(&mut self, now: Instant) -> Option<LifetimeEvent> {
        self.core.poll_lifetime(now)
    }

    /// Protects the IP packet in `buf` and leaves the outer packet in its place.
    ///
    /// In tunnel mode `buf` contains the inner packet, and the outer header is built from the
    /// SA's addresses with the inner DSCP and ECN copied (RFC 6040 normal mode). In transport
    /// mode the packet's own IP header moves to the front of the ESP header. Needs
    /// [`MAX_HEADROOM`](crate::MAX_HEADROOM) and [`MAX_TAILROOM`](crate::MAX_TAILROOM) at most.
    /// Never allocates.
    ///
    /// # Errors
    /// [`EspError::InvalidInnerPacket`] or [`EspError::Truncated`] for a packet that is not
    /// IP, [`EspError::NoHeadroom`] or [`EspError::NoTailroom`] for a small buffer,
    /// [`EspError::Expired`] after a hard lifetime, [`EspError::SequenceExhausted`]. On
    /// error `buf` may hold partial output and must be discarded.
    pub fn encapsulate(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
    ) -> Result<Encapsulated, EspError> {
        let result = self.try_encapsulate(now, buf);
        self.count(result)
    }

    /// Protects `buf`'s bytes as an ESP payload with the given Next Header, adding only the
    /// ESP header, IV, trailer and ICV: no IP parsing, no UDP or outer header.
    ///
    /// For callers that build IP headers themselves, such as transport mode with IPv6
    /// extension headers, or dummy packets (Next Header 59). `packet` and `esp` of the result
    /// are the same range. Never allocates.
    ///
    /// # Errors
    /// As [`encapsulate`](Self::encapsulate), without the IP checks.
    pub fn encapsulate_payload(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
        next_header: u8,
    ) -> Result<Encapsulated, EspError> {
        let result = self.try_encapsulate_payload(now, buf, next_header, None);
        self.count(result)
    }

    /// Like [`encapsulate_payload`](Self::encapsulate_payload) with a given IV, for
    /// known-answer tests.
    ///
    /// A predictable CBC IV lets an attacker choose plaintexts adaptively (RFC 3602 2.4), and
    /// a repeated AES-GCM IV reveals the authentication key: never use this for traffic.
    ///
    /// # Errors
    /// As [`encapsulate_payload`](Self::encapsulate_payload), and
    /// [`EspError::InvalidInnerPacket`] when `iv` is not [`iv_len`](crate::Cipher::iv_len)
    /// bytes long.
    pub fn encapsulate_payload_with_iv(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
        next_header: u8,
        iv: &[u8],
    ) -> Result<Encapsulated, EspError> {
        let result = self.try_encapsulate_payload(now, buf, next_header, Some(iv));
        self.count(result)
    }

    /// Sets the last sequence number sent, so that the next packet carries `seq + 1`.
    ///
    /// For resuming an SA whose state was saved elsewhere, and for known-answer tests. Going
    /// back to a number already sent makes the peer drop packets as replays and, with AES-GCM,
    /// repeats IVs: callers must only move forward.
    pub fn set_last_seq(&mut self, seq: u64) {
        self.seq = seq;
    }

    fn count<T>(&mut self, result: Result<T, EspError>) -> Result<T, EspError> {
        if let Err(error) = &result {
            self.core.counters.count_error(error);
        }
        result
    }

    fn try_encapsulate_payload(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
        next_header: u8,
        fixed_iv: Option<&[u8]>,
    ) -> Result<Encapsulated, EspError> {
        self.core.check_alive(now)?;
        let seq = self.next_seq()?;
        let protected_len = buf.len();
        self.write_esp(buf, seq, next_header, fixed_iv)?;
        let event = self.core.finish(now, protected_len);
        Ok(Encapsulated {
            packet: buf.range(),
            esp: buf.range(),
            seq,
            lifetime_event: event,
        })
    }

    fn next_seq(&mut self) -> Result<u64, EspError> {
        let max_seq = if self.core.config.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        if self.seq >= max_seq {
            return Err(EspError::SequenceExhausted);
        }
        self.seq += 1;
        Ok(self.seq)
    }

    fn try_encapsulate(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
    ) -> Result<Encapsulated, EspError> {
        self.core.check_alive(now)?;

        let inner = IpHeader::parse(buf.data())?;
        let trailing = buf.len() - inner.total_len;
        if trailing > 0 {
            buf.narrow(0..inner.total_len);
        }

        // Transport mode keeps the IP header aside and protects only the payload.
        let mut saved_header = [0u8; MAX_TRANSPORT_HEADER_LEN];
        let (next_header, header_len) = match self.core.config.mode {
            Mode::Tunnel => (
                if inner.src.is_ipv4() {
                    PROTO_IPV4
                } else {
                    PROTO_IPV6
                },
                0,
            ),
            Mode::Transport => {
                if inner.src.is_ipv6() && is_ipv6_extension_header(inner.protocol) {
                    // NOTE: ESP would go after hop-by-hop, routing and fragment headers
                    // (RFC 4303 3.1.1); packets carrying them are rejected instead.
                    return Err(EspError::InvalidInnerPacket {
                        reason: "IPv6 extension headers are not supported in transport mode",
                    });
                }
                if inner.src.is_ipv4() && is_ipv4_fragment(buf.data()) {
                    // Transport mode protects whole datagrams only (RFC 4303 3.3.4).
                    return Err(EspError::InvalidInnerPacket {
                        reason: "IPv4 fragments cannot be sent in transport mode",
                    });
                }
                if inner.header_len > MAX_TRANSPORT_HEADER_LEN {
                    return Err(EspError::InvalidInnerPacket {
                        reason: "IP header longer than 60 bytes",
                    });
                }
                saved_header[..inner.header_len].copy_from_slice(&buf.data()[..inner.header_len]);
                buf.narrow(inner.header_len..buf.len());
                (inner.protocol, inner.header_len)
            }
        };
        let protected_len = buf.len();

        let seq = self.next_seq()?;
        let esp_len = self.write_esp(buf, seq, next_header, None)?;

        // UDP encapsulation (RFC 3948 2.1) and the outer header.
        let esp_range = buf.range();
        let (src, dst) = match self.core.config.mode {
            Mode::Tunnel => (self.core.config.src, self.core.config.dst),
            Mode::Transport => (inner.src, inner.dst),
        };
        let mut protocol = PROTO_ESP;
        // NOTE: transport mode in UDP behind a NAT would also need the inner TCP/UDP checksum
        // fixed up from the NAT-OA addresses (RFC 3948 3.1.2); that is left to the caller.
        if let Some(encap) = self.core.config.udp_encap {
            write_udp_header(buf, encap, src, dst)?;
            protocol = PROTO_UDP;
        }
        match self.core.config.mode {
            Mode::Tunnel => self.write_outer_header(buf, inner.tos, protocol, src, dst)?,
            Mode::Transport => {
                write_transport_header(buf, &mut saved_header[..header_len], protocol)?
            }
        }
        debug_assert_eq!(esp_range.len(), esp_len);

        let event = self.core.finish(now, protected_len);
        Ok(Encapsulated {
            packet: buf.range(),
            esp: esp_range,
            seq,
            lifetime_event: event,
        })
    }

    /// Turns the payload in `buf` into an ESP packet: header, IV, ciphertext, trailer, ICV.
    fn write_esp(
        &mut self,
        buf: &mut PacketBuf<'_>,
        seq: u64,
        next_header: u8,
        fixed_iv: Option<&[u8]>,
    ) -> Result<usize, EspError> {
        let suite = self.core.config.suite;
        let cipher = suite.cipher();
        let iv_len = cipher.iv_len();
        let icv_len = suite.icv_len();
        let head_len = ESP_HEADER_LEN + iv_len;
        if buf.headroom() < head_len {
            return Err(EspError::NoHeadroom {
                needed: head_len,
                available: buf.headroom(),
            });
        }

        // Padding: monotonic 1, 2, 3, ... up to the cipher's alignment (RFC 4303 2.4).
        let payload_len = buf.len();
        let align = cipher.pad_align();
        let pad_len = (align - (payload_len + 2) % align) % align;
        let trailer = buf.push_back(pad_len + 2 + icv_len)?;
        for (i, byte) in trailer[..pad_len].iter_mut().enumerate() {
            *byte = (i + 1) as u8;
        }
        trailer[pad_len] = pad_len as u8;
        trailer[pad_len + 1] = next_header;

        let header = buf.push_front(head_len).expect("headroom checked above");
        header[..4].copy_from_slice(&self.core.config.spi.to_be_bytes());
        header[4..8].copy_from_slice(&(seq as u32).to_be_bytes());
        let iv = &mut header[ESP_HEADER_LEN..];
        match fixed_iv {
            Some(fixed) if fixed.len() == iv_len => iv.copy_from_slice(fixed),
            Some(_) => {
                return Err(EspError::InvalidInnerPacket {
                    reason: "fixed IV length differs from the cipher's",
                })
            }
            None if cipher.is_aead() => iv.copy_from_slice(&seq.to_be_bytes()),
            None => self.iv_rng.fill_bytes(iv),
        }

        let esn_high = (seq >> 32) as u32;
        let data = buf.data_mut();
        let total = data.len();
        let (head, rest) = data.split_at_mut(head_len);
        let (body, icv) = rest.split_at_mut(total - head_len - icv_len);
        let iv = &head[ESP_HEADER_LEN..];
        match cipher {
            Cipher::Null => {}
            Cipher::AesGcm16_128 | Cipher::AesGcm16_256 => {
                let iv: &[u8; 8] = iv.try_into().expect("GCM IV is 8 bytes");
                let mut aad = [0u8; 12];
                let aad = gcm_aad(
                    &mut aad,
                    &head[..ESP_HEADER_LEN],
                    self.core.config.esn,
                    esn_high,
                );
                let tag = self.core.ciphers.gcm_seal(iv, aad, body);
                icv.copy_from_slice(&tag);
            }
            _ => self.core.ciphers.cbc_encrypt(iv, body),
        }
        if !cipher.is_aead() && icv_len > 0 {
            let extra = esn_high.to_be_bytes();
            let extra: &[u8] = if self.core.config.esn { &extra } else { &[] };
            let (signed, icv) = data.split_at_mut(total - icv_len);
            self.core.mac.sign(signed, extra, icv);
        }
        Ok(total)
    }

    fn write_outer_header(
        &mut self,
        buf: &mut PacketBuf<'_>,
        tos: u8,
        protocol: u8,
        src: IpAddr,
        dst: IpAddr,
    ) -> Result<(), EspError> {
        let payload_len = buf.len();
        match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let total = IPV4_HEADER_LEN + payload_len;
                let total = u16::try_from(total).map_err(|_| EspError::InvalidInnerPacket {
                    reason: "outer IPv4 packet exceeds 65535 bytes",
                })?;
                self.ip_id = self.ip_id.wrapping_add(1);
                let header = buf.push_front(IPV4_HEADER_LEN)?;
                ip::write_ipv4_header(header, tos, total, self.ip_id, protocol, src, dst);
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let payload_len =
                    u16::try_from(payload_len).map_err(|_| EspError::InvalidInnerPacket {
                        reason: "outer IPv6 payload exceeds 65535 bytes",
                    })?;
                let header = buf.push_front(IPV6_HEADER_LEN)?;
                ip::write_ipv6_header(header, tos, payload_len, protocol, src, dst);
            }
            _ => unreachable!("SaConfig::check rejects mixed address families"),
        }
        Ok(())
    }
}

impl fmt::Debug for OutboundSa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundSa")
            .field("core", &self.core)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// Returns true for an IPv4 packet with More Fragments set or a non-zero fragment offset.
/// The caller has parsed `packet` as IPv4, so its header is at least 20 bytes long.
fn is_ipv4_fragment(packet: &[u8]) -> bool {
    u16::from_be_bytes([packet[6], packet[7]]) & 0x3fff != 0
}

fn is_ipv6_extension_header(next_header: u8) -> bool {
    // Hop-by-hop, routing, fragment and destination options (RFC 8200 4).
    matches!(next_header, 0 | 43 | 44 | 60)
}

/// Builds the AES-GCM additional data: SPI and the 32- or 64-bit sequence number (RFC 4106 5).
fn gcm_aad<'a>(out: &'a mut [u8; 12], esp_header: &[u8], esn: bool, esn_high: u32) -> &'a [u8] {
    if esn {
        out[..4].copy_from_slice(&esp_header[..4]);
        out[4..8].copy_from_slice(&esn_high.to_be_bytes());
        out[8..12].copy_from_slice(&esp_header[4..8]);
        &out[..12]
    } else {
        out[..8].copy_from_slice(&esp_header[..8]);
        &out[..8]
    }
}

fn write_udp_header(
    buf: &mut PacketBuf<'_>,
    encap: UdpEncap,
    src: IpAddr,
    dst: IpAddr,
) -> Result<(), EspError> {
    let udp_len = UDP_HEADER_LEN + buf.len();
    let udp_len16 = u16::try_from(udp_len).map_err(|_| EspError::InvalidInnerPacket {
        reason: "UDP datagram exceeds 65535 bytes",
    })?;
    buf.push_front(UDP_HEADER_LEN)?;
    let data = buf.data_mut();
    data[0..2].copy_from_slice(&encap.src_port.to_be_bytes());
    data[2..4].copy_from_slice(&encap.dst_port.to_be_bytes());
    data[4..6].copy_from_slice(&udp_len16.to_be_bytes());
    data[6..8].copy_from_slice(&[0, 0]);

    // IPv4 may send a zero UDP checksum (RFC 3948 2.1); IPv6 must not (RFC 8200 8.1).
    if src.is_ipv6() {
        let initial = ip::pseudo_header_sum(src, dst, PROTO_UDP, udp_len);
        let sum = match ip::checksum(initial, data) {
            0 => 0xffff,
            sum => sum,
        };
        data[6..8].copy_from_slice(&sum.to_be_bytes());
    }
    Ok(())
}

/// Puts the saved transport-mode IP header back in front, with the new protocol and length.
fn write_transport_header(
    buf: &mut PacketBuf<'_>,
    saved: &mut [u8],
    protocol: u8,
) -> Result<(), EspError> {
    let body_len = buf.len();
    let header_len = saved.len();
    let header = buf.push_front(header_len)?;
    header.copy_from_slice(saved);
    if header[0] >> 4 == 4 {
        let total =
            u16::try_from(header_len + body_len).map_err(|_| EspError::InvalidInnerPacket {
                reason: "IPv4 packet exceeds 65535 bytes",
            })?;
        header[2..4].copy_from_slice(&total.to_be_bytes());
        header[9] = protocol;
        header[10..12].copy_from_slice(&[0, 0]);
        let sum = ip::checksum(0, header);
        header[10..12].copy_from_slice(&sum.to_be_bytes());
    } else {
        let payload = u16::try_from(body_len).map_err(|_| EspError::InvalidInnerPacket {
            reason: "IPv6 payload exceeds 65535 bytes",
        })?;
        header[4..6].copy_from_slice(&payload.to_be_bytes());
        header[6] = protocol;
    }
    Ok(())
}

/// The action for a decapsulated packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Tunnel mode: `packet` is the inner IP packet; write it to the tunnel device after
    /// checking it against the SA's selectors.
    Tunnel,
    /// Transport mode: `packet` is the upper-layer payload with protocol `next_header`; the
    /// caller puts it behind the received IP header.
    Transport,
    /// A dummy packet for traffic-flow confidentiality (Next Header 59): drop it silently.
    Dummy,
}

/// The location of a decapsulated packet in the caller's storage, and its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decapsulated {
    /// The action for `packet`.
    pub delivery: Delivery,
    /// The inner packet or payload, as a range of the storage (also `buf`'s new data).
    pub packet: Range<usize>,
    /// The Next Header field of the ESP trailer.
    pub next_header: u8,
    /// Sequence number of the packet (the full 64 bits with ESN).
    pub seq: u64,
    /// A lifetime limit reached by this packet, reported once.
    pub lifetime_event: Option<LifetimeEvent>,
}

/// The inbound direction of an SA: verifies and decrypts received ESP packets.
pub struct InboundSa {
    core: SaCore,
    replay: ReplayWindow,
}

impl InboundSa {
    /// Creates the SA at time `now`.
    ///
    /// # Errors
    /// [`ConfigError`] for key lengths that do not fit the suite, a replay window above
    /// [`MAX_REPLAY_WINDOW`](crate::MAX_REPLAY_WINDOW), or mixed IPv4/IPv6 addresses.
    pub fn new(config: SaConfig, keys: &Keys, now: Instant) -> Result<InboundSa, ConfigError> {
        let replay = ReplayWindow::new(config.replay_window, config.esn)?;
        Ok(InboundSa {
            core: SaCore::new(config, keys, now)?,
            replay,
        })
    }

    /// Returns the configuration.
    pub fn config(&self) -> &SaConfig {
        &self.core.config
    }

    /// Returns the counters.
    pub fn counters(&self) -> &Counters {
        &self.core.counters
    }

    /// Returns the anti-replay state.
    pub fn replay_window(&self) -> &ReplayWindow {
        &self.replay
    }

    /// Reports a lifetime limit reached by the clock alone; call it from a timer.
    pub fn poll_lifetime(&mut self, now: Instant) -> Option<LifetimeEvent> {
        self.core.poll_lifetime(now)
    }

    /// Sets the highest sequence number received and empties the replay window below it.
    ///
    /// For resuming an SA whose state was saved elsewhere, and for known-answer tests with
    /// extended sequence numbers far from 0.
    pub fn set_highest_seq(&mut self, seq: u64) {
        self.replay.reset(seq);
    }

    /// Verifies and decrypts the ESP packet in `buf` (starting at the SPI, without IP or UDP
    /// header) and narrows `buf` to the inner packet.
    ///
    /// Checks come in the order of RFC 4303 3.4: length, SPI, replay window, ICV in constant
    /// time, decryption, padding and Next Header. The replay window moves only after the ICV
    /// passed.
    /// Never allocates.
    ///
    /// # Errors
    /// One [`EspError`] per failed check, each counted in [`counters`](Self::counters). On
    /// error the data in `buf` may be partly decrypted and must be dropped.
    pub fn decapsulate(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
    ) -> Result<Decapsulated, EspError> {
        let result = self.try_decapsulate(now, buf);
        if let Err(error) = &result {
            self.core.counters.count_error(error);
        }
        result
    }

    fn try_decapsulate(
        &mut self,
        now: Instant,
        buf: &mut PacketBuf<'_>,
    ) -> Result<Decapsulated, EspError> {
        self.core.check_alive(now)?;
        let suite = self.core.config.suite;
        let cipher = suite.cipher();
        let iv_len = cipher.iv_len();
        let icv_len = suite.icv_len();
        let head_len = ESP_HEADER_LEN + iv_len;

        let data = buf.data_mut();
        let min_len = head_len + 2 + icv_len;
        if data.len() < min_len {
            return Err(ip::truncated("ESP packet", 0, min_len, data.len()));
        }
        let spi = u32::from_be_bytes(data[0..4].try_into().expect("4 bytes"));
        if spi != self.core.config.spi {
            return Err(EspError::SpiMismatch {
                expected: self.core.config.spi,
                found: spi,
            });
        }
        let seq_low = u32::from_be_bytes(data[4..8].try_into().expect("4 bytes"));
        let seq = self.replay.infer(seq_low)?;
        self.replay.check(seq)?;

        let total = data.len();
        let body_len = total - head_len - icv_len;
        let align = cipher.pad_align();
        if !cipher.is_aead() && cipher != Cipher::Null && !body_len.is_multiple_of(align) {
            return Err(EspError::BadCiphertextLength {
                len: body_len,
                block_size: align,
            });
        }

        let esn_high = (seq >> 32) as u32;
        if !cipher.is_aead() && icv_len > 0 {
            let extra = esn_high.to_be_bytes();
            let extra: &[u8] = if self.core.config.esn { &extra } else { &[] };
            if !self
                .core
                .mac
                .verify(&data[..total - icv_len], extra, &data[total - icv_len..])
            {
                return Err(EspError::IcvMismatch { seq });
            }
        }

        let (head, sealed) = data.split_at_mut(head_len);
        let iv = &head[ESP_HEADER_LEN..];
        match cipher {
            Cipher::Null => {}
            Cipher::AesGcm16_128 | Cipher::AesGcm16_256 => {
                let iv: &[u8; 8] = iv.try_into().expect("GCM IV is 8 bytes");
                let mut aad = [0u8; 12];
                let aad = gcm_aad(
                    &mut aad,
                    &head[..ESP_HEADER_LEN],
                    self.core.config.esn,
                    esn_high,
                );
                if !self.core.ciphers.gcm_open(iv, aad, sealed) {
                    return Err(EspError::IcvMismatch { seq });
                }
            }
            _ => self.core.ciphers.cbc_decrypt(iv, &mut sealed[..body_len]),
        }
        let body = &sealed[..body_len];

        // The packet is authentic from here on: record its number before judging the content.
        self.replay.accept(seq);

        let (payload_len, next_header) = check_trailer(body)?;
        let delivery = self.delivery(next_header, &body[..payload_len])?;
        buf.narrow(head_len..head_len + payload_len);
        let event = if delivery == Delivery::Dummy {
            self.core.counters.dummy += 1;
            self.core.poll_lifetime(now)
        } else {
            self.core.finish(now, payload_len)
        };
        Ok(Decapsulated {
            delivery,
            packet: buf.range(),
            next_header,
            seq,
            lifetime_event: event,
        })
    }

    fn delivery(&self, next_header: u8, payload: &[u8]) -> Result<Delivery, EspError> {
        if next_header == PROTO_NO_NEXT_HEADER {
            return Ok(Delivery::Dummy);
        }
        match self.core.config.mode {
            Mode::Transport => Ok(Delivery::Transport),
            Mode::Tunnel => {
                let expected_version = match next_header {
                    PROTO_IPV4 => 4,
                    PROTO_IPV6 => 6,
                    _ => {
                        return Err(EspError::UnexpectedNextHeader {
                            next_header,
                            mode: Mode::Tunnel.name(),
                        })
                    }
                };
                if payload.first().map(|b| b >> 4) != Some(expected_version) {
                    return Err(EspError::InvalidInnerPacket {
                        reason: "inner IP version differs from Next Header",
                    });
                }
                Ok(Delivery::Tunnel)
            }
        }
    }
}

/// Checks Pad Length and the monotonic padding bytes; returns the payload length and Next
/// Header.
fn check_trailer(plaintext: &[u8]) -> Result<(usize, u8), EspError> {
    let len = plaintext.len();
    if len < 2 {
        return Err(ip::truncated("ESP trailer", 0, 2, len));
    }
    let pad_len = plaintext[len - 2];
    let next_header = plaintext[len - 1];
    let bad = EspError::BadPadding {
        pad_len,
        payload_len: len,
    };
    let Some(payload_len) = len.checked_sub(2 + usize::from(pad_len)) else {
        return Err(bad);
    };
    let padding = &plaintext[payload_len..len - 2];
    if padding
        .iter()
        .enumerate()
        .any(|(i, &byte)| usize::from(byte) != i + 1)
    {
        return Err(bad);
    }
    Ok((payload_len, next_header))
}

impl fmt::Debug for InboundSa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSa")
            .field("core", &self.core)
            .field("replay", &self.replay)
            .finish()
    }
}
