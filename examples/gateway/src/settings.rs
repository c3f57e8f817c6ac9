//! ipsec.conf and ipsec.secrets turned into engine connections, checked as a whole before the
//! daemon binds anything.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

use ike_sm::{
    Auth, ConnectionConfig, DhGroupId, DpdAction, DpdConfig, EspCipher, EspIntegrity, EspProposal,
    Identity, IkeCipher, IkeHash, IkeProposal, IpsecMode, Subnet,
};
use ipsec_conf::{AuthBy, Auto, Config, Conn, ConnType, Host, Id, Secrets};

/// IKE's well-known port (RFC 2408 appendix A).
pub const IKE_PORT: u16 = 500;

/// One connection the daemon loaded.
#[derive(Debug, Clone)]
pub struct ConnSpec {
    pub config: ConnectionConfig,
    pub auto: Auto,
    /// Openswan's `ike=` and `esp=` text, for `auto --status`.
    pub ike_text: Option<String>,
    pub esp_text: Option<String>,
    /// Whether we are the conn's `left` end.
    pub we_are_left: bool,
    pub local_nexthop: Option<IpAddr>,
    pub remote_nexthop: Option<IpAddr>,
}

impl ConnSpec {
    pub fn name(&self) -> &str {
        &self.config.name
    }
}

/// Parses both files, printing warnings to stderr; the error is the text to print.
pub fn load(config_path: &Path, secrets_path: &Path) -> Result<(Config, Secrets), String> {
    let config = ipsec_conf::parse_file(config_path);
    let secrets = ipsec_conf::parse_secrets_file(secrets_path);
    let mut errors = Vec::new();
    for diagnostic in config.diagnostics.iter().chain(&secrets.diagnostics) {
        if diagnostic.is_error() {
            errors.push(diagnostic.to_string());
        } else {
            eprintln!("{diagnostic}");
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    Ok((config.value, secrets.value))
}

/// Builds the engine connection of `conn`; `None` (with the reason) when neither end's
/// address is assigned to this host.
pub fn conn_spec(
    conn: &Conn,
    config: &Config,
    secrets: &Secrets,
    secrets_path: &Path,
) -> Result<ConnSpec, String> {
    let name = &conn.name;
    let mode = ipsec_mode(conn)?;
    let left = host_addr(conn.left.host.as_ref(), name, "left")?;
    let right = host_addr(conn.right.host.as_ref(), name, "right")?;
    let we_are_left = if is_local(left) {
        true
    } else if is_local(right) {
        false
    } else {
        return Err(format!(
            "conn \"{name}\": neither left={left} nor right={right} is an address of this host"
        ));
    };
    let (local_end, remote_end) = if we_are_left {
        (&conn.left, &conn.right)
    } else {
        (&conn.right, &conn.left)
    };
    let (local_addr, remote_addr) = if we_are_left {
        (left, right)
    } else {
        (right, left)
    };

    let local_id = local_end.id.clone().unwrap_or(Id::Addr(local_addr));
    let remote_id = remote_end.id.clone().unwrap_or(Id::Addr(remote_addr));
    let auth = match conn.authby {
        AuthBy::Secret | AuthBy::SecretOrRsaSig => {
            let psk = secrets
                .psk(&local_id, &remote_id)
                .or_else(|| secrets.psk(&Id::Addr(local_addr), &Id::Addr(remote_addr)))
                .ok_or_else(|| {
                    format!(
                        "conn \"{name}\": no PSK in the secrets file for {local_id} {remote_id}"
                    )
                })?;
            Auth::psk(psk.expose())
        }
        AuthBy::RsaSig => rsa_auth(
            name,
            secrets,
            &local_id,
            &remote_id,
            remote_end,
            secrets_path,
        )?,
        AuthBy::Never => return Err(format!("conn \"{name}\": authby=never is not supported")),
    };

    let mut config_out = ConnectionConfig::new(
        name.clone(),
        SocketAddr::new(local_addr, IKE_PORT),
        SocketAddr::new(remote_addr, IKE_PORT),
        auth,
    );
    config_out.local_id = identity(&local_id);
    config_out.remote_id = identity(&remote_id);
    config_out.mode = mode;
    if let Some(ike) = &conn.ike {
        config_out.ike_proposals = ike_proposals(&ike.text)
            .map_err(|error| format!("conn \"{name}\": ike={}: {error}", ike.text))?;
    }
    let mut esp_pfs_group = None;
    if let Some(esp) = &conn.esp {
        let (proposals, group) = esp_proposals(&esp.text)
            .map_err(|error| format!("conn \"{name}\": esp={}: {error}", esp.text))?;
        config_out.esp_proposals = proposals;
        esp_pfs_group = group;
    }
    config_out.pfs = conn.pfs;
    config_out.pfs_group = match conn.pfsgroup {
        Some(group) => Some(
            DhGroupId::from_number(group.0)
                .ok_or_else(|| format!("conn \"{name}\": pfsgroup={group} is not supported"))?,
        ),
        None => esp_pfs_group,
    };
    config_out.local_subnet = local_end.subnets.first().map(subnet).transpose()?;
    config_out.remote_subnet = remote_end.subnets.first().map(subnet).transpose()?;
    config_out.ike_lifetime = conn.ikelifetime;
    config_out.sa_lifetime = conn.salifetime;
    config_out.rekey = conn.rekey;
    config_out.rekey_margin = conn.rekeymargin;
    config_out.rekey_fuzz_percent = conn.rekeyfuzz;
    config_out.keying_tries = conn.keyingtries;
    config_out.dpd = match (conn.dpddelay, conn.dpdtimeout) {
        (Some(delay), timeout) => Some(DpdConfig {
            delay,
            timeout: timeout.unwrap_or(Duration::from_secs(120)),
            action: match conn.dpdaction {
                ipsec_conf::DpdAction::Hold | ipsec_conf::DpdAction::RestartByPeer => {
                    DpdAction::Hold
                }
                ipsec_conf::DpdAction::Clear => DpdAction::Clear,
                ipsec_conf::DpdAction::Restart => DpdAction::Restart,
            },
        }),
        (None, _) => None,
    };
    config_out.nat_traversal = config.setup.nat_traversal || conn.forceencaps;
    config_out.force_encaps = conn.forceencaps;

    Ok(ConnSpec {
        config: config_out,
        auto: conn.auto,
        ike_text: conn.ike.as_ref().map(|ike| ike.text.clone()),
        esp_text: conn.esp.as_ref().map(|esp| esp.text.clone()),
        we_are_left,
        local_nexthop: local_nexthop(local_end.nexthop.as_ref()),
        // The peer's `%defaultroute` is its own router, which this host cannot know.
        remote_nexthop: match remote_end.nexthop {
            Some(ipsec_conf::NextHop::Addr(addr)) => Some(addr),
            _ => None,
        },
    })
}

/// Returns the IPsec mode of `conn`'s `type=`, or the error to print for a type the daemon
/// cannot carry.
///
/// NOTE: `type=transport` is rejected although the engine negotiates it, because both
/// datapaths build tunnels: the userspace one encapsulates whole packets from the TUN device,
/// and the kernel one installs tunnel-mode XFRM states and policies.
fn ipsec_mode(conn: &Conn) -> Result<IpsecMode, String> {
    let name = &conn.name;
    match conn.conn_type {
        ConnType::Tunnel => Ok(IpsecMode::Tunnel),
        ConnType::Transport => Err(format!(
            "conn \"{name}\": type=transport is not supported: this gateway's datapaths carry \
             tunnel mode only; use type=tunnel with leftsubnet/rightsubnet"
        )),
        other => Err(format!(
            "conn \"{name}\": type={other} is not supported; use type=tunnel"
        )),
    }
}

/// Our RSA private key from the secrets (the entry for our id, else the default `: RSA`
/// entry) and the peer's public key from its `rsasigkey=`.
fn rsa_auth(
    name: &str,
    secrets: &Secrets,
    local_id: &Id,
    remote_id: &Id,
    remote_end: &ipsec_conf::End,
    secrets_path: &Path,
) -> Result<Auth, String> {
    let remote_key = match &remote_end.rsasigkey {
        Some(ipsec_conf::RsaSigKey::Key(text)) => {
            text.parse::<keystore::PublicKey>().map_err(|error| {
                format!("conn \"{name}\": the peer's rsasigkey is invalid: {error}")
            })?
        }
        Some(other) => {
            return Err(format!(
                "conn \"{name}\": rsasigkey={other} is not supported; give the key as 0s..."
            ))
        }
        None => return Err(format!("conn \"{name}\": the peer's rsasigkey= is missing")),
    };

    let secret = secrets.rsa(local_id, remote_id).ok_or_else(|| {
        format!("conn \"{name}\": no RSA private key in the secrets file for {local_id}")
    })?;
    let local_key = match secret {
        ipsec_conf::RsaSecret::Block(_) => {
            let text = secret
                .block_text()
                .unwrap_or_else(|| ipsec_conf::SecretString::new(String::new()));
            let block = keystore::RsaBlock::parse(text.expose()).map_err(|error| {
                format!("conn \"{name}\": RSA key in the secrets file: {error}")
            })?;
            block.private().cloned().ok_or_else(|| {
                format!("conn \"{name}\": the RSA key refers to an NSS database, which is not supported")
            })?
        }
        ipsec_conf::RsaSecret::File { path, passphrase } => {
            let private_dir = secrets_path
                .parent()
                .unwrap_or(Path::new("/etc"))
                .join("ipsec.d/private");
            let file = keystore::resolve_key_file(path, &private_dir);
            keystore::load_private_key_file(&file, passphrase.as_ref().map(|p| p.expose()))
                .map_err(|error| format!("conn \"{name}\": {}: {error}", file.display()))?
        }
    };
    Ok(Auth::Rsa {
        local: local_key,
        remote: remote_key,
    })
}

fn host_addr(host: Option<&Host>, name: &str, end: &str) -> Result<IpAddr, String> {
    match host {
        Some(Host::Addr(addr)) => Ok(*addr),
        Some(other) => Err(format!(
            "conn \"{name}\": {end}={other} is not supported; give an IP address"
        )),
        None => Err(format!("conn \"{name}\": {end}= is missing")),
    }
}

/// True when `addr` is assigned to an interface of this network namespace: binding a socket
/// to it succeeds only then.
pub fn is_local(addr: IpAddr) -> bool {
    UdpSocket::bind(SocketAddr::new(addr, 0)).is_ok()
}

/// Returns the nexthop as written, or the router of the default route for `%defaultroute`; `None`
/// when it cannot be found (the kernel's routing table decides then).
fn local_nexthop(nexthop: Option<&ipsec_conf::NextHop>) -> Option<IpAddr> {
    match nexthop? {
        ipsec_conf::NextHop::Addr(addr) => Some(*addr),
        ipsec_conf::NextHop::DefaultRoute => default_router(),
        ipsec_conf::NextHop::Direct => None,
    }
}

/// Returns the gateway of this namespace's IPv4 default route, from `ip route show default`.
fn default_router() -> Option<IpAddr> {
    let routes = crate::netns::ip(&["-4", "route", "show", "default"]).ok()?;
    let mut words = routes.split_whitespace();
    while let Some(word) = words.next() {
        if word == "via" {
            return words.next()?.parse().ok();
        }
    }
    None
}

fn identity(id: &Id) -> Identity {
    match id {
        Id::Addr(IpAddr::V4(addr)) => Identity::Ipv4(*addr),
        Id::Addr(IpAddr::V6(addr)) => Identity::Ipv6(*addr),
        Id::Fqdn(name) => Identity::Fqdn(name.clone()),
        Id::UserFqdn(name) => Identity::UserFqdn(name.clone()),
        _ => Identity::Address,
    }
}

fn subnet(subnet: &ipsec_conf::Subnet) -> Result<Subnet, String> {
    Subnet::new(subnet.addr, subnet.prefix_len)
        .ok_or_else(|| format!("invalid subnet {}/{}", subnet.addr, subnet.prefix_len))
}

/// Parses Openswan's `ike=` list (`aes128-sha1-modp2048`, `3des-md5;modp1024`). A proposal
/// without a group expands to Openswan's default groups.
pub fn ike_proposals(text: &str) -> Result<Vec<IkeProposal>, String> {
    let mut proposals = Vec::new();
    for item in text.trim_end_matches('!').split(',') {
        let item = item.trim().to_ascii_lowercase().replace(';', "-");
        let parts: Vec<&str> = item.split('-').collect();
        let (cipher, hash, group) = match parts.as_slice() {
            [cipher, hash, group] => (*cipher, *hash, Some(*group)),
            [cipher, hash] => (*cipher, *hash, None),
            _ => return Err(format!("expected CIPHER-HASH[-GROUP], found {item:?}")),
        };
        let cipher = match cipher {
            "3des" => IkeCipher::TripleDesCbc,
            "aes" | "aes128" => IkeCipher::AesCbc { key_bits: 128 },
            "aes192" => IkeCipher::AesCbc { key_bits: 192 },
            "aes256" => IkeCipher::AesCbc { key_bits: 256 },
            other => return Err(format!("unsupported IKE cipher {other:?}")),
        };
        let hash = match hash {
            "md5" => IkeHash::Md5,
            "sha" | "sha1" => IkeHash::Sha1,
            "sha2" | "sha2_256" | "sha256" => IkeHash::Sha2_256,
            "sha2_384" | "sha384" => IkeHash::Sha2_384,
            "sha2_512" | "sha512" => IkeHash::Sha2_512,
            other => return Err(format!("unsupported IKE hash {other:?}")),
        };
        let groups = match group {
            Some(group) => {
                vec![dh_group(group).ok_or_else(|| format!("unsupported DH group {group:?}"))?]
            }
            None => vec![
                DhGroupId::Modp2048,
                DhGroupId::Modp1536,
                DhGroupId::Modp1024,
            ],
        };
        for group in groups {
            proposals.push(IkeProposal {
                cipher,
                hash,
                group,
            });
        }
    }
    Ok(proposals)
}

/// Parses Openswan's `esp=`/`phase2alg=` list (`aes128-sha1`, `3des-md5;modp1024`); returns
/// the proposals and the PFS group if one is named.
pub fn esp_proposals(text: &str) -> Result<(Vec<EspProposal>, Option<DhGroupId>), String> {
    let mut proposals = Vec::new();
    let mut pfs_group = None;
    for item in text.trim_end_matches('!').split(',') {
        let item = item.trim().to_ascii_lowercase().replace(';', "-");
        let parts: Vec<&str> = item.split('-').collect();
        let (cipher, integrity) = match parts.as_slice() {
            [cipher, integrity, group] => {
                pfs_group =
                    Some(dh_group(group).ok_or_else(|| format!("unsupported DH group {group:?}"))?);
                (*cipher, *integrity)
            }
            [cipher, integrity] => (*cipher, *integrity),
            _ => return Err(format!("expected CIPHER-INTEGRITY[-GROUP], found {item:?}")),
        };
        let cipher = match cipher {
            "3des" => EspCipher::TripleDesCbc,
            "aes" | "aes128" => EspCipher::AesCbc { key_bits: 128 },
            "aes192" => EspCipher::AesCbc { key_bits: 192 },
            "aes256" => EspCipher::AesCbc { key_bits: 256 },
            "null" => EspCipher::Null,
            "aes_gcm" | "aes_gcm128" | "aes_gcm_c" | "aes_gcm_c128" | "aes_gcm16_128" => {
                EspCipher::AesGcm16 { key_bits: 128 }
            }
            "aes_gcm256" | "aes_gcm_c256" | "aes_gcm16_256" => {
                EspCipher::AesGcm16 { key_bits: 256 }
            }
            other => return Err(format!("unsupported ESP cipher {other:?}")),
        };
        let integrity = match integrity {
            "md5" => EspIntegrity::HmacMd5,
            "sha" | "sha1" => EspIntegrity::HmacSha1,
            "sha2" | "sha2_256" | "sha256" => EspIntegrity::HmacSha2_256,
            "sha2_384" | "sha384" => EspIntegrity::HmacSha2_384,
            "sha2_512" | "sha512" => EspIntegrity::HmacSha2_512,
            "null" | "none" => EspIntegrity::None,
            other => return Err(format!("unsupported ESP integrity algorithm {other:?}")),
        };
        if cipher.is_aead() != (integrity == EspIntegrity::None) {
            return Err(format!(
                "{item:?}: AES-GCM takes integrity null, and every other cipher needs one"
            ));
        }
        proposals.push(EspProposal { cipher, integrity });
    }
    Ok((proposals, pfs_group))
}

/// Maps Openswan's group names (`modp1024`, `modp2048`, `ecp256`, `curve25519`) to the
/// engine's groups.
pub fn dh_group(name: &str) -> Option<DhGroupId> {
    Some(match name.trim() {
        "modp1024" | "dh2" => DhGroupId::Modp1024,
        "modp1536" | "dh5" => DhGroupId::Modp1536,
        "modp2048" | "dh14" => DhGroupId::Modp2048,
        "modp3072" | "dh15" => DhGroupId::Modp3072,
        "modp4096" | "dh16" => DhGroupId::Modp4096,
        "ecp256" | "ecp_256" | "dh19" => DhGroupId::Ecp256,
        "ecp384" | "ecp_384" | "dh20" => DhGroupId::Ecp384,
        "curve25519" | "x25519" | "dh31" => DhGroupId::Curve25519,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses one conn with `type_line` (e.g. `type=transport`) from an ipsec.conf text.
    fn conn_with(type_line: &str) -> Conn {
        let text = format!(
            "conn host-to-host\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauthby=secret\n\t{type_line}\n"
        );
        let parsed = ipsec_conf::parse_str(&text, "ipsec.conf");
        assert!(
            parsed.diagnostics.iter().all(|d| !d.is_error()),
            "{:?}",
            parsed.diagnostics
        );
        parsed.value.conns[0].clone()
    }

    #[test]
    fn type_tunnel_is_default() {
        assert_eq!(ipsec_mode(&conn_with("auto=add")), Ok(IpsecMode::Tunnel));
        assert_eq!(ipsec_mode(&conn_with("type=tunnel")), Ok(IpsecMode::Tunnel));
    }

    #[test]
    fn type_transport_rejected_at_load() {
        let error = ipsec_mode(&conn_with("type=transport")).unwrap_err();
        assert_eq!(
            error,
            "conn \"host-to-host\": type=transport is not supported: this gateway's datapaths \
             carry tunnel mode only; use type=tunnel with leftsubnet/rightsubnet"
        );
    }

    #[test]
    fn type_passthrough_rejected_at_load() {
        let error = ipsec_mode(&conn_with("type=passthrough")).unwrap_err();
        assert_eq!(
            error,
            "conn \"host-to-host\": type=passthrough is not supported; use type=tunnel"
        );
    }

    #[test]
    fn ike_proposal_with_group() {
        let proposals = ike_proposals("aes128-sha1-modp2048").unwrap();
        assert_eq!(
            proposals,
            vec![IkeProposal {
                cipher: IkeCipher::AesCbc { key_bits: 128 },
                hash: IkeHash::Sha1,
                group: DhGroupId::Modp2048,
            }]
        );
    }

    #[test]
    fn ike_proposal_semicolon_group() {
        let proposals = ike_proposals("3des-md5;modp1024").unwrap();
        assert_eq!(proposals[0].group, DhGroupId::Modp1024);
        assert_eq!(proposals[0].cipher, IkeCipher::TripleDesCbc);
    }

    #[test]
    fn ike_proposal_rejects_unknown_cipher() {
        assert!(ike_proposals("rot13-md5-modp1024").is_err());
    }

    #[test]
    fn esp_proposal_with_pfs_group() {
        let (proposals, group) = esp_proposals("aes256-sha2_256-modp2048").unwrap();
        assert_eq!(proposals[0].cipher, EspCipher::AesCbc { key_bits: 256 });
        assert_eq!(proposals[0].integrity, EspIntegrity::HmacSha2_256);
        assert_eq!(group, Some(DhGroupId::Modp2048));
    }

    #[test]
    fn esp_proposal_aes_gcm() {
        let (proposals, group) = esp_proposals("aes_gcm128-null, aes_gcm256-none").unwrap();
        assert_eq!(proposals[0].cipher, EspCipher::AesGcm16 { key_bits: 128 });
        assert_eq!(proposals[0].integrity, EspIntegrity::None);
        assert_eq!(proposals[1].cipher, EspCipher::AesGcm16 { key_bits: 256 });
        assert_eq!(group, None);
        assert!(esp_proposals("aes_gcm128-sha1").is_err());
        assert!(esp_proposals("aes128-null").is_err());
    }
}
