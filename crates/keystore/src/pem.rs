//! PEM and DER key files: PKCS#1, PKCS#8 and SubjectPublicKeyInfo, and the `: RSA file.pem`
//! references of ipsec.secrets.

use std::path::{Path, PathBuf};

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::der::Decode;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use zeroize::Zeroizing;

use crate::error::PemError;
use crate::key::{PrivateKey, PublicKey};

/// Directory in which Openswan looks up a relative key file name of `: RSA file`.
pub const DEFAULT_PRIVATE_KEY_DIR: &str = "/etc/ipsec.d/private";

/// Maximum size of a key file read from disk; a 16384-bit PKCS#8 PEM is under 13 KiB.
pub const MAX_KEY_FILE_LEN: u64 = 256 * 1024;

/// The rsaEncryption algorithm identifier (RFC 8017 appendix C).
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

fn format_error(format: &'static str) -> impl Fn(String) -> PemError {
    move |reason| PemError::Format { format, reason }
}

/// Finds the label of the first `-----BEGIN LABEL-----` line.
fn pem_label(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")?
            .strip_suffix("-----")
    })
}

impl PrivateKey {
    /// Reads a PEM private key: `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8).
    ///
    /// Encrypted keys (`ENCRYPTED PRIVATE KEY`, or PKCS#1 with `Proc-Type: 4,ENCRYPTED`) are
    /// reported as [`PemError::Encrypted`]: read the first kind with
    /// [`PrivateKey::from_pem_with_passphrase`].
    pub fn from_pem(text: &str) -> Result<PrivateKey, PemError> {
        match pem_label(text) {
            Some("RSA PRIVATE KEY") if text.contains("ENCRYPTED") => Err(PemError::Encrypted {
                detail: "Proc-Type: 4,ENCRYPTED header (OpenSSL's traditional encryption, which \
                         is not decrypted here: convert the key with `openssl pkcs8 -topk8`)",
            }),
            Some("RSA PRIVATE KEY") => {
                let key = rsa::RsaPrivateKey::from_pkcs1_pem(text)
                    .map_err(|error| format_error("PKCS#1 PEM")(error.to_string()))?;
                Ok(PrivateKey::from_rsa(key)?)
            }
            Some("PRIVATE KEY") => {
                let key = rsa::RsaPrivateKey::from_pkcs8_pem(text)
                    .map_err(|error| format_error("PKCS#8 PEM")(error.to_string()))?;
                Ok(PrivateKey::from_rsa(key)?)
            }
            Some("ENCRYPTED PRIVATE KEY") => Err(PemError::Encrypted {
                detail: "ENCRYPTED PRIVATE KEY label (give its passphrase after the file name, \
                         as in `: RSA key.pem \"passphrase\"`)",
            }),
            Some(label) => Err(PemError::UnsupportedLabel {
                label: label.chars().take(40).collect(),
            }),
            None => Err(PemError::Format {
                format: "PEM",
                reason: "no -----BEGIN line".to_owned(),
            }),
        }
    }

    /// Reads a passphrase-protected PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`, PBES2 with AES
    /// or 3DES), or any key [`PrivateKey::from_pem`] reads when it is not encrypted.
    ///
    /// NOTE: OpenSSL's traditional encrypted PKCS#1 (`Proc-Type: 4,ENCRYPTED`) is not
    /// decrypted; convert such a key with `openssl pkcs8 -topk8`.
    pub fn from_pem_with_passphrase(text: &str, passphrase: &[u8]) -> Result<PrivateKey, PemError> {
        if pem_label(text) != Some("ENCRYPTED PRIVATE KEY") {
            return PrivateKey::from_pem(text);
        }
        let key =
            rsa::RsaPrivateKey::from_pkcs8_encrypted_pem(text, passphrase).map_err(|error| {
                format_error("encrypted PKCS#8 PEM")(format!(
                    "cannot decrypt ({error}): check the passphrase"
                ))
            })?;
        Ok(PrivateKey::from_rsa(key)?)
    }

    /// Reads a DER private key, PKCS#8 `PrivateKeyInfo` or PKCS#1 `RSAPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<PrivateKey, PemError> {
        let key = match rsa::RsaPrivateKey::from_pkcs8_der(der) {
            Ok(key) => key,
            Err(_) => rsa::RsaPrivateKey::from_pkcs1_der(der)
                .map_err(|error| format_error("PKCS#8 or PKCS#1 DER")(error.to_string()))?,
        };
        Ok(PrivateKey::from_rsa(key)?)
    }

    /// Encodes the key as PKCS#1 PEM (`RSA PRIVATE KEY`), zeroized on drop.
    pub fn to_pkcs1_pem(&self) -> Result<Zeroizing<String>, PemError> {
        self.rsa()
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|error| format_error("PKCS#1 PEM")(error.to_string()))
    }

    /// Encodes the key as PKCS#1 DER, zeroized on drop.
    pub fn to_pkcs1_der(&self) -> Result<Zeroizing<Vec<u8>>, PemError> {
        self.rsa()
            .to_pkcs1_der()
            .map(|document| Zeroizing::new(document.as_bytes().to_vec()))
            .map_err(|error| format_error("PKCS#1 DER")(error.to_string()))
    }

    /// Encodes the key as unencrypted PKCS#8 PEM (`PRIVATE KEY`), zeroized on drop.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, PemError> {
        self.rsa()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|error| format_error("PKCS#8 PEM")(error.to_string()))
    }

    /// Encodes the key as unencrypted PKCS#8 DER, zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, PemError> {
        self.rsa()
            .to_pkcs8_der()
            .map(|document| Zeroizing::new(document.as_bytes().to_vec()))
            .map_err(|error| format_error("PKCS#8 DER")(error.to_string()))
    }
}

impl PublicKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(text: &str) -> Result<PublicKey, PemError> {
        let label = pem_label(text).ok_or(PemError::Format {
            format: "PEM",
            reason: "no -----BEGIN line".to_owned(),
        })?;
        if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
            return Err(PemError::UnsupportedLabel {
                label: label.chars().take(40).collect(),
            });
        }
        let (_, der) = rsa::pkcs8::der::pem::decode_vec(text.as_bytes())
            .map_err(|error| format_error("PEM")(error.to_string()))?;
        PublicKey::from_der(&der)
    }

    /// Reads a DER public key: SubjectPublicKeyInfo with rsaEncryption, or PKCS#1
    /// `RSAPublicKey`. Accepts moduli up to [`crate::MAX_MODULUS_BITS`].
    pub fn from_der(der: &[u8]) -> Result<PublicKey, PemError> {
        let pkcs1_der = match rsa::pkcs8::spki::SubjectPublicKeyInfoRef::from_der(der) {
            Ok(spki) => {
                if spki.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
                    return Err(PemError::Format {
                        format: "SubjectPublicKeyInfo",
                        reason: format!("algorithm {} is not rsaEncryption", spki.algorithm.oid),
                    });
                }
                spki.subject_public_key
                    .as_bytes()
                    .ok_or(PemError::Format {
                        format: "SubjectPublicKeyInfo",
                        reason: "subjectPublicKey has unused bits".to_owned(),
                    })?
                    .to_vec()
            }
            Err(_) => der.to_vec(),
        };

        let key = rsa::pkcs1::RsaPublicKey::from_der(&pkcs1_der)
            .map_err(|error| format_error("PKCS#1 RSAPublicKey DER")(error.to_string()))?;
        Ok(PublicKey::from_be_bytes(
            key.modulus.as_bytes(),
            key.public_exponent.as_bytes(),
        )?)
    }

    /// Encodes the key as SubjectPublicKeyInfo PEM (`PUBLIC KEY`), as `showhostkey --pem` prints.
    pub fn to_pem(&self) -> Result<String, PemError> {
        self.to_rsa()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| format_error("SubjectPublicKeyInfo PEM")(error.to_string()))
    }

    /// Encodes the key as SubjectPublicKeyInfo DER.
    pub fn to_der(&self) -> Result<Vec<u8>, PemError> {
        self.to_rsa()
            .to_public_key_der()
            .map(|document| document.as_bytes().to_vec())
            .map_err(|error| format_error("SubjectPublicKeyInfo DER")(error.to_string()))
    }
}

impl PublicKey {
    /// Encodes the key as PKCS#1 PEM (`RSA PUBLIC KEY`).
    pub fn to_pkcs1_pem(&self) -> Result<String, PemError> {
        self.to_rsa()
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|error| format_error("PKCS#1 RSAPublicKey PEM")(error.to_string()))
    }

    /// Encodes the key as PKCS#1 DER (`RSAPublicKey`).
    pub fn to_pkcs1_der(&self) -> Result<Vec<u8>, PemError> {
        self.to_rsa()
            .to_pkcs1_der()
            .map(|document| document.as_bytes().to_vec())
            .map_err(|error| format_error("PKCS#1 RSAPublicKey DER")(error.to_string()))
    }
}

/// Resolves the file name of a `: RSA file` entry as Openswan does: absolute paths stay, relative
/// ones are taken under `private_dir` (normally [`DEFAULT_PRIVATE_KEY_DIR`]).
pub fn resolve_key_file(name: &str, private_dir: &Path) -> PathBuf {
    let path = Path::new(name);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        private_dir.join(path)
    }
}

/// Loads the private key a `: RSA file [passphrase]` entry names, PEM or DER.
///
/// The secrets parser calls this after [`resolve_key_file`]. With a passphrase, encrypted
/// PKCS#8 (PEM or DER) is decrypted; unencrypted keys load whether or not one is given.
pub fn load_private_key_file(
    path: &Path,
    passphrase: Option<&str>,
) -> Result<PrivateKey, PemError> {
    let io_error = |source| PemError::Io {
        path: path.display().to_string(),
        source,
    };
    let length = std::fs::metadata(path).map_err(io_error)?.len();
    if length > MAX_KEY_FILE_LEN {
        return Err(PemError::Format {
            format: "key file",
            reason: format!("{length} bytes, more than the maximum {MAX_KEY_FILE_LEN}"),
        });
    }
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io_error)?);

    match (std::str::from_utf8(&bytes), passphrase) {
        (Ok(text), Some(passphrase)) if text.contains("-----BEGIN ") => {
            PrivateKey::from_pem_with_passphrase(text, passphrase.as_bytes())
        }
        (Ok(text), None) if text.contains("-----BEGIN ") => PrivateKey::from_pem(text),
        (_, Some(passphrase)) => {
            match rsa::RsaPrivateKey::from_pkcs8_encrypted_der(&bytes, passphrase) {
                Ok(key) => Ok(PrivateKey::from_rsa(key)?),
                Err(_) => PrivateKey::from_der(&bytes),
            }
        }
        (_, None) => PrivateKey::from_der(&bytes),
    }
}
