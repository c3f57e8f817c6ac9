//! Informational exchanges (RFC 2409 5.7): Notify and Delete, and dead peer detection
//! (RFC 3706) on top of them.

use std::net::SocketAddr;
use std::time::Instant;

use ike_wire::{
    Doi, ExchangeType, Flags, Header, Message, Notification, NotifyType, Payload, PayloadType,
    ProtocolId, ISAKMP_VERSION_1_0,
};
use tracing::debug;

use crate::config::DpdAction;
use crate::endpoint::Endpoint;
use crate::engine::notify_name;
use crate::event::Event;
use crate::phase2::{informational_hash, verify_informational_hash};

impl Endpoint {
    /// Sends an encrypted Informational under ISAKMP SA `isakmp`: HASH(1) then `payloads`.
    pub(crate) fn send_informational(
        &mut self,
        _now: Instant,
        isakmp: u32,
        mut payloads: Vec<Payload>,
    ) {
        let message_id = self.random_u32_nonzero();
        let Some(sa) = self.engine.isakmp.get(&isakmp) else {
            return;
        };
        let Some(keys) = sa.keys.clone() else { return };
        let hash = informational_hash(&keys, message_id, &payloads);
        payloads.insert(0, Payload::Hash(ike_wire::Hash::new(hash)));
        let header = Header {
            initiator_cookie: sa.icookie,
            responder_cookie: sa.rcookie,
            next_payload: PayloadType::HASH,
            version: ISAKMP_VERSION_1_0,
            exchange_type: ExchangeType::INFORMATIONAL,
            flags: Default::default(),
            message_id,
            length: 0,
        };
        let iv = keys.phase2_iv(&sa.iv, message_id);
        let (bytes, _) = keys.seal(header, &payloads, &iv);
        let (local, remote) = (sa.local, sa.remote);
        self.send(local, remote, &bytes);
    }

    /// Sends an encrypted Informational with one Notify about ISAKMP SA `isakmp`.
    pub(crate) fn send_encrypted_notify(
        &mut self,
        now: Instant,
        isakmp: u32,
        notify_type: NotifyType,
    ) {
        let notify = Notification {
            reserved: 0,
            doi: Doi::IPSEC,
            protocol: ProtocolId::ISAKMP,
            notify_type,
            spi: Vec::new(),
            data: Vec::new(),
        };
        self.send_informational(now, isakmp, vec![Payload::Notify(notify)]);
    }

    pub(crate) fn handle_informational(
        &mut self,
        now: Instant,
        _local: SocketAddr,
        remote: SocketAddr,
        header: &Header,
        bytes: &[u8],
    ) {
        let serial = self
            .engine
            .isakmp
            .values()
            .find(|sa| {
                sa.icookie == header.initiator_cookie
                    && (sa.rcookie == header.responder_cookie
                        || (sa.initiator && sa.rcookie == [0; 8]))
            })
            .map(|sa| sa.serial);
        let Some(serial) = serial else {
            debug!(target: "ike_sm", %remote, "dropping Informational with unknown cookies");
            return;
        };
        let sa = &self.engine.isakmp[&serial];
        let conn = sa.conn.clone();

        if !header.flags.contains(Flags::ENCRYPTION) {
            // Before the ISAKMP SA is established, a peer can only report errors in the clear.
            // They are not authenticated, so they are logged and change nothing.
            if sa.is_established() {
                debug!(target: "ike_sm", serial, "dropping unencrypted Informational on an established ISAKMP SA");
                return;
            }
            let Ok(message) = Message::parse(bytes) else {
                return;
            };
            for payload in &message.payloads {
                if let Payload::Notify(notify) = payload {
                    let text = format!(
                        "ignoring informational payload, type {}",
                        notify_name(notify.notify_type)
                    );
                    self.status_line(3, &conn, serial, text);
                }
            }
            self.status_line(
                3,
                &conn,
                serial,
                "received and ignored informational message",
            );
            return;
        }

        let Some(keys) = sa.keys.clone() else { return };
        let iv = keys.phase2_iv(&sa.iv, header.message_id);
        let Ok(opened) = keys.open(bytes, &iv) else {
            debug!(target: "ike_sm", serial, "dropping Informational that does not decrypt");
            return;
        };
        if !verify_informational_hash(
            &keys,
            header.message_id,
            &opened.payloads,
            &opened.plaintext,
        ) {
            self.status_line(
                3,
                &conn,
                serial,
                "received Hash Payload does not match computed value; Informational ignored",
            );
            return;
        }
        for payload in &opened.payloads[1..] {
            match payload {
                Payload::Notify(notify) => self.informational_notify(now, serial, notify),
                Payload::Delete(delete) => self.informational_delete(now, serial, delete),
                _ => {}
            }
        }
    }

    fn informational_notify(&mut self, now: Instant, serial: u32, notify: &Notification) {
        let Some(sa) = self.engine.isakmp.get_mut(&serial) else {
            return;
        };
        let conn = sa.conn.clone();
        match notify.notify_type {
            NotifyType::R_U_THERE => {
                let data = notify.data.clone();
                let mut spi = sa.icookie.to_vec();
                spi.extend_from_slice(&sa.rcookie);
                let ack = Notification {
                    reserved: 0,
                    doi: Doi::IPSEC,
                    protocol: ProtocolId::ISAKMP,
                    notify_type: NotifyType::R_U_THERE_ACK,
                    spi,
                    data,
                };
                self.send_informational(now, serial, vec![Payload::Notify(ack)]);
            }
            NotifyType::R_U_THERE_ACK => {
                let expected = sa.dpd.sequence.to_be_bytes();
                if notify.data == expected {
                    sa.dpd.deadline = None;
                }
            }
            NotifyType::INITIAL_CONTACT => {
                let (icookie, remote) = (sa.icookie, sa.remote);
                self.forget_older_isakmp_sas(now, serial, &conn, icookie, remote);
            }
            other => {
                let text = format!(
                    "ignoring informational payload, type {}",
                    notify_name(other)
                );
                self.status_line(3, &conn, serial, text);
            }
        }
    }

    /// Deletes the other ISAKMP SAs of `conn` with the peer at `remote`: the peer sent
    /// INITIAL-CONTACT from ISAKMP SA `serial` (cookie `icookie`), so it no longer has them.
    pub(crate) fn forget_older_isakmp_sas(
        &mut self,
        now: Instant,
        serial: u32,
        conn: &str,
        icookie: [u8; 8],
        remote: SocketAddr,
    ) {
        let stale: Vec<u32> = self
            .engine
            .isakmp
            .values()
            .filter(|other| {
                other.serial != serial
                    && other.conn == conn
                    && other.remote.ip() == remote.ip()
                    && other.icookie != icookie
            })
            .map(|other| other.serial)
            .collect();
        for old in stale {
            self.delete_isakmp_sa(now, old, false);
        }
    }

    fn informational_delete(&mut self, now: Instant, serial: u32, delete: &ike_wire::Delete) {
        let conn = self.engine.isakmp[&serial].conn.clone();
        match delete.protocol {
            ProtocolId::ISAKMP => {
                for spi in &delete.spis {
                    if spi.len() != 16 {
                        continue;
                    }
                    let target = self
                        .engine
                        .isakmp
                        .values()
                        .find(|sa| {
                            sa.conn == conn
                                && sa.icookie[..] == spi[..8]
                                && sa.rcookie[..] == spi[8..]
                        })
                        .map(|sa| sa.serial);
                    if let Some(target) = target {
                        self.status_line(
                            3,
                            &conn,
                            target,
                            "received Delete SA payload: deleting ISAKMP State",
                        );
                        self.delete_isakmp_sa(now, target, false);
                    }
                }
            }
            ProtocolId::IPSEC_ESP => {
                for spi in &delete.spis {
                    let Ok(spi) = <[u8; 4]>::try_from(spi.as_slice()).map(u32::from_be_bytes)
                    else {
                        continue;
                    };
                    // The peer names the SPI it receives on, which is our outbound SPI. Some
                    // implementations name ours, so both are accepted.
                    let target = self
                        .engine
                        .ipsec
                        .values()
                        .find(|sa| {
                            sa.conn == conn
                                && sa.is_established()
                                && (sa.peer_spi == Some(spi) || sa.our_spi == spi)
                        })
                        .map(|sa| sa.serial);
                    if let Some(target) = target {
                        self.status_line(
                            3,
                            &conn,
                            target,
                            format!(
                                "received Delete SA(0x{spi:08x}) payload: deleting IPSEC State"
                            ),
                        );
                        self.delete_ipsec_sa(now, target, false);
                    }
                }
            }
            _ => {}
        }
    }

    /// Sends R-U-THERE when due and declares the peer dead after `dpdtimeout` without an acknowledgement.
    pub(crate) fn dpd_timeout(&mut self, now: Instant, serial: u32) {
        let Some(sa) = self.engine.isakmp.get_mut(&serial) else {
            return;
        };
        let Some(dpd) = self
            .engine
            .connections
            .iter()
            .find(|c| c.config.name == sa.conn)
            .and_then(|c| c.config.dpd)
        else {
            return;
        };
        if sa.dpd.deadline.is_some_and(|at| at <= now) {
            let conn = sa.conn.clone();
            self.status_line(
                3,
                &conn,
                serial,
                "DPD: No response from peer - declaring peer dead",
            );
            self.events.push_back(Event::DpdDead {
                conn: conn.clone(),
                action: dpd.action,
            });
            self.status_line(
                3,
                &conn,
                serial,
                format!("DPD: Taking action: {}", dpd.action),
            );
            let ipsec: Vec<u32> = self
                .engine
                .ipsec
                .values()
                .filter(|s| s.conn == conn)
                .map(|s| s.serial)
                .collect();
            let isakmp: Vec<u32> = self
                .engine
                .isakmp
                .values()
                .filter(|s| s.conn == conn)
                .map(|s| s.serial)
                .collect();
            for s in ipsec {
                self.delete_ipsec_sa(now, s, false);
            }
            for s in isakmp {
                self.delete_isakmp_sa(now, s, false);
            }
            if dpd.action == DpdAction::Restart {
                if let Some(c) = self.engine.connection_mut(&conn) {
                    c.attempts = 1;
                }
                self.start_main_mode(now, &conn, None);
            }
            return;
        }
        if sa.dpd.next_probe.is_some_and(|at| at <= now) {
            sa.dpd.sequence = sa.dpd.sequence.wrapping_add(1);
            sa.dpd.next_probe = Some(now + dpd.delay);
            if sa.dpd.deadline.is_none() {
                sa.dpd.deadline = Some(now + dpd.timeout);
            }
            let mut spi = sa.icookie.to_vec();
            spi.extend_from_slice(&sa.rcookie);
            let probe = Notification {
                reserved: 0,
                doi: Doi::IPSEC,
                protocol: ProtocolId::ISAKMP,
                notify_type: NotifyType::R_U_THERE,
                spi,
                data: sa.dpd.sequence.to_be_bytes().to_vec(),
            };
            self.send_informational(now, serial, vec![Payload::Notify(probe)]);
        }
    }
}
