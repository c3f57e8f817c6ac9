//! `--wireshark-keys DIR`: Wireshark's key tables, written as SAs come up.
//!
//! `ikev1_decryption_table` has one `initiator-cookie-hex,encryption-key-hex` line per ISAKMP
//! SA (Wireshark's `uat:ikev1_decryption_table`); `esp_sa` has one line per ESP SA direction in
//! the quoted form of Wireshark's `uat:esp_sa`. Both files hold secret keys, so they are created
//! with mode 0600 and only when an operator asked for them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ike_sm::{EspCipher, EspIntegrity, EspSaParams};
use tracing::warn;

/// Writes the key tables into one directory.
pub struct KeyExport {
    dir: PathBuf,
}

impl KeyExport {
    /// Creates the directory if needed.
    pub fn new(dir: &Path) -> Result<KeyExport, String> {
        fs::create_dir_all(dir).map_err(|error| {
            format!("create the key export directory {}: {error}", dir.display())
        })?;
        Ok(KeyExport {
            dir: dir.to_path_buf(),
        })
    }

    /// Rewrites `ikev1_decryption_table` with every ISAKMP SA the engine has.
    pub fn write_ikev1_table(&self, entries: &[([u8; 8], Vec<u8>)]) {
        let mut text = String::new();
        for (cookie, key) in entries {
            text.push_str(&hex(cookie));
            text.push(',');
            text.push_str(&hex(key));
            text.push('\n');
        }
        self.write("ikev1_decryption_table", &text, false);
    }

    /// Appends both directions of a new ESP SA pair to `esp_sa`.
    pub fn append_esp_sas(&self, sas: [&EspSaParams; 2]) {
        let mut text = String::new();
        for sa in sas {
            text.push_str(&esp_sa_line(sa));
            text.push('\n');
        }
        self.write("esp_sa", &text, true);
    }

    fn write(&self, name: &str, text: &str, append: bool) {
        let path = self.dir.join(name);
        let result = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .mode(0o600)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()));
        if let Err(error) = result {
            warn!(path = %path.display(), %error, "write the Wireshark key file failed");
        }
    }
}

/// Formats one `uat:esp_sa` line: protocol, source, destination, SPI, encryption algorithm and key,
/// authentication algorithm and key, as Wireshark 3.x and 4.x name them.
fn esp_sa_line(sa: &EspSaParams) -> String {
    let family = if sa.src.is_ipv4() { "IPv4" } else { "IPv6" };
    let encryption = match sa.cipher {
        EspCipher::TripleDesCbc => "TripleDES-CBC [RFC2451]",
        EspCipher::AesCbc { .. } => "AES-CBC [RFC3602]",
        EspCipher::Null => "NULL",
        EspCipher::AesGcm16 { .. } => "AES-GCM with 16 octet ICV [RFC4106]",
    };
    let authentication = match sa.integrity {
        EspIntegrity::HmacMd5 => "HMAC-MD5-96 [RFC2403]",
        EspIntegrity::HmacSha1 => "HMAC-SHA-1-96 [RFC2404]",
        EspIntegrity::HmacSha2_256 => "HMAC-SHA-256-128 [RFC4868]",
        EspIntegrity::HmacSha2_384 => "HMAC-SHA-384-192 [RFC4868]",
        EspIntegrity::HmacSha2_512 => "HMAC-SHA-512-256 [RFC4868]",
        EspIntegrity::None => "NULL",
    };
    format!(
        "\"{family}\",\"{}\",\"{}\",\"{:#010x}\",\"{encryption}\",\"0x{}\",\"{authentication}\",\"0x{}\"",
        sa.src.ip(),
        sa.dst.ip(),
        sa.spi,
        hex(&sa.enc_key),
        hex(&sa.auth_key)
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
