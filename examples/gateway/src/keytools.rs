//! `rsasigkey`, `showhostkey` and `ranbits`: key tools built on `keystore`, printing what
//! Openswan 2.6's tools print.
//!
//! - `rsasigkey [--verbose] [--hostname NAME] BITS` prints the body of an ipsec.secrets RSA block
//!   (the lines that go between `: RSA {` and `}`), with progress on stderr under `--verbose`.
//! - `showhostkey --left|--right [--conn NAME] [--id ID]` prints the `leftrsasigkey=0s...` (or
//!   `rightrsasigkey=`) line for a key of ipsec.secrets, after its `# RSA N bits` comment.
//! - `ranbits [--continuous] [--bytes] N` prints N random bits as `0x` + hex, grouped by eight
//!   digits with `_` unless `--continuous`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use keystore::Zeroizing;
use keystore::{PrivateKey, PublicKey, RsaBlock};
use rand::RngCore as _;

/// The default ipsec.conf path.
const DEFAULT_CONFIG: &str = "/etc/ipsec.conf";

/// The default ipsec.secrets path.
const DEFAULT_SECRETS: &str = "/etc/ipsec.secrets";

/// Maximum depth of `include` lines followed in ipsec.secrets (the same as Openswan's limit
/// for ipsec.conf).
const MAX_INCLUDE_DEPTH: usize = 10;

/// Maximum size of an ipsec.secrets or ipsec.conf file read by these tools.
const MAX_FILE_LEN: u64 = 4 * 1024 * 1024;

/// Largest `ranbits` request, in bits.
const MAX_RANBITS: usize = 1 << 20;

/// `gateway rsasigkey`: generate an RSA key and print it as an ipsec.secrets block body.
#[derive(Debug, Clone, clap::Args)]
pub struct RsasigkeyArgs {
    /// Report progress on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Host name for the `# RSA N bits HOST DATE` comment (default: this machine's).
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Modulus size in bits: a multiple of 16 from 1024 to 8192.
    #[arg(value_name = "BITS")]
    pub bits: usize,
}

/// `gateway showhostkey`: print this host's public key as an ipsec.conf line.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("side").required(true).args(["left", "right"])))]
pub struct ShowhostkeyArgs {
    /// Print `leftrsasigkey=...`.
    #[arg(long)]
    pub left: bool,
    /// Print `rightrsasigkey=...`.
    #[arg(long)]
    pub right: bool,
    /// Pick the key whose ipsec.secrets selectors contain this conn's `leftid` (with `--left`) or
    /// `rightid` (with `--right`), as read from the config file.
    #[arg(long, value_name = "NAME")]
    pub conn: Option<String>,
    /// Pick the key whose ipsec.secrets selectors contain this id (such as `@east.example.com`).
    #[arg(long, value_name = "ID", conflicts_with = "conn")]
    pub id: Option<String>,
    /// ipsec.conf to read for `--conn`.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// ipsec.secrets holding the RSA key.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_SECRETS)]
    pub secrets: PathBuf,
}

/// `gateway ranbits`: print random bits from the operating system's generator.
#[derive(Debug, Clone, clap::Args)]
pub struct RanbitsArgs {
    /// Print the hex digits without `_` separators.
    #[arg(long)]
    pub continuous: bool,
    /// Count BITS in bytes rather than bits.
    #[arg(long)]
    pub bytes: bool,
    /// Number of random bits to print, rounded up to whole bytes.
    #[arg(value_name = "BITS")]
    pub bits: usize,
}

/// Runs `gateway rsasigkey`.
pub fn rsasigkey(args: &RsasigkeyArgs) -> ExitCode {
    let verbose = |message: &str| {
        if args.verbose {
            eprintln!("{message}");
        }
    };

    verbose(&format!(
        "generating a {}-bit RSA key with public exponent {} from the operating system's random number generator...",
        args.bits,
        keystore::GENERATED_PUBLIC_EXPONENT
    ));
    let started = std::time::Instant::now();
    let key = match keystore::generate(args.bits, &mut keystore::OsRng) {
        Ok(key) => key,
        Err(error) => {
            eprintln!(
                "rsasigkey: cannot generate a {}-bit key: {error}",
                args.bits
            );
            return ExitCode::from(1);
        }
    };
    verbose(&format!(
        "found two primes and checked the key in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    let hostname = args.hostname.clone().unwrap_or_else(local_hostname);
    let body = keystore::format_rsa_block_body(&key, &hostname, &ctime_utc(SystemTime::now()));
    verbose("output...");
    if let Err(error) = std::io::stdout().write_all(body.as_bytes()) {
        eprintln!("rsasigkey: cannot write the key: {error}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Runs `gateway showhostkey`.
pub fn showhostkey(args: &ShowhostkeyArgs) -> ExitCode {
    match showhostkey_output(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("showhostkey: {message}");
            ExitCode::from(1)
        }
    }
}

fn showhostkey_output(args: &ShowhostkeyArgs) -> Result<String, String> {
    let side = if args.left { "left" } else { "right" };
    let id = match (&args.id, &args.conn) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(conn)) => conn_id(&args.config, conn, side)?,
        (None, None) => None,
    };

    let entries = read_rsa_entries(&args.secrets)?;
    let entry = match &id {
        Some(id) => entries
            .iter()
            .find(|entry| entry.selectors.iter().any(|selector| selector == id))
            .or_else(|| entries.iter().find(|entry| entry.selectors.is_empty()))
            .ok_or_else(|| {
                format!(
                    "no RSA key for {id} in {} (and no `: RSA` entry without selectors)",
                    args.secrets.display()
                )
            })?,
        None => entries
            .first()
            .ok_or_else(|| format!("no RSA key in {}", args.secrets.display()))?,
    };

    let public = entry.public.clone();
    let comment = match &entry.header {
        Some(header) => format!("# RSA {} bits   {}", header.bits, header.comment),
        None => format!("# rsakey {}", public.keyid()),
    };
    Ok(format!(
        "\t{}\n\t{side}rsasigkey={}\n",
        comment.trim_end(),
        public.to_rfc3110_0s()
    ))
}

/// Runs `gateway ranbits`.
pub fn ranbits(args: &RanbitsArgs) -> ExitCode {
    let bits = if args.bytes {
        args.bits.saturating_mul(8)
    } else {
        args.bits
    };
    if bits == 0 || bits > MAX_RANBITS {
        eprintln!("ranbits: invalid number of bits {bits}: expected 1 to {MAX_RANBITS}");
        return ExitCode::from(1);
    }

    let mut random = Zeroizing::new(vec![0u8; bits.div_ceil(8)]);
    keystore::OsRng.fill_bytes(&mut random);
    println!("{}", *format_ranbits(&random, args.continuous));
    ExitCode::SUCCESS
}

/// Formats random bytes as `ranbits` prints them: `0x`, then hex with `_` between groups of
/// four bytes unless `continuous`.
fn format_ranbits(bytes: &[u8], continuous: bool) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(2 + bytes.len() * 9 / 4 + 1));
    text.push_str("0x");
    for (index, byte) in bytes.iter().enumerate() {
        if !continuous && index > 0 && index % 4 == 0 {
            text.push('_');
        }
        text.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        text.push(char::from_digit(u32::from(byte & 0x0f), 16).unwrap_or('0'));
    }
    text
}

/// An RSA key found in ipsec.secrets.
struct RsaEntry {
    /// The ids before the colon (`@east`, addresses); empty for a default `: RSA` entry.
    selectors: Vec<String>,
    public: PublicKey,
    header: Option<keystore::BlockHeader>,
}

fn read_limited(path: &Path) -> Result<String, String> {
    let length = std::fs::metadata(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?
        .len();
    if length > MAX_FILE_LEN {
        return Err(format!(
            "{} is {length} bytes, more than the maximum {MAX_FILE_LEN}",
            path.display()
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|&byte| byte == b'\n').map_or(0, |at| at + 1) + 1;
        format!(
            "{}:{line}:{column}: not UTF-8 text (is this a binary file?): ipsec.secrets and ipsec.conf are text files",
            path.display()
        )
    })
}

/// Reads the RSA entries of an ipsec.secrets file and the files it includes, in file order.
fn read_rsa_entries(path: &Path) -> Result<Vec<RsaEntry>, String> {
    let mut entries = Vec::new();
    collect_rsa_entries(path, &mut Vec::new(), &mut entries)?;
    Ok(entries)
}

/// Reads the RSA entries of `path`. `including` contains the files whose `include` lines led
/// here, outermost first, so that a cycle can be reported.
fn collect_rsa_entries(
    path: &Path,
    including: &mut Vec<PathBuf>,
    entries: &mut Vec<RsaEntry>,
) -> Result<(), String> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if including.contains(&canonical) {
        let chain: Vec<String> = including
            .iter()
            .chain(std::iter::once(&canonical))
            .map(|file| file.display().to_string())
            .collect();
        return Err(format!(
            "include cycle: {}: remove one of these include lines",
            chain.join(" -> ")
        ));
    }
    if including.len() > MAX_INCLUDE_DEPTH {
        return Err(format!(
            "{}: includes nested deeper than {MAX_INCLUDE_DEPTH} levels",
            path.display()
        ));
    }
    let text = Zeroizing::new(read_limited(path)?);
    let lines: Vec<&str> = text.lines().collect();

    let mut index = 0;
    while index < lines.len() {
        let line = strip_comment(lines[index]);
        let line_number = index + 1;
        index += 1;

        if let Some(pattern) = line.strip_prefix("include") {
            if pattern.starts_with(char::is_whitespace) {
                including.push(canonical.clone());
                for included in expand_include(path, pattern.trim())? {
                    collect_rsa_entries(&included, including, entries)?;
                }
                including.pop();
                continue;
            }
        }

        let Some((before, after)) = line.split_once(':') else {
            continue;
        };
        let mut words = after.split_whitespace();
        if words.next() != Some("RSA") {
            continue;
        }
        let selectors = entry_selectors(&lines[..index], before);
        let location = format!("{}:{line_number}", path.display());

        let rest: Vec<&str> = words.collect();
        let opens_block = match rest.as_slice() {
            ["{"] => true,
            [] => lines.get(index).is_some_and(|next| next.trim() == "{"),
            _ => false,
        };
        let (public, header) = if opens_block {
            let start = if rest.is_empty() { index + 1 } else { index };
            let end = (start..lines.len())
                .find(|&end| lines[end].trim_start().starts_with('}'))
                .ok_or_else(|| format!("{location}: RSA block has no closing `}}`"))?;
            let body = lines[start..end].join("\n");
            let block = RsaBlock::parse_at(&body, start + 1)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            index = end + 1;
            (block.public(), block.header)
        } else {
            let name = rest
                .first()
                .ok_or_else(|| format!("{location}: expected `{{` or a key file after RSA"))?
                .trim_matches('"');
            let passphrase = rest.get(1).map(|word| word.trim_matches('"'));
            let file =
                keystore::resolve_key_file(name, Path::new(keystore::pem::DEFAULT_PRIVATE_KEY_DIR));
            let key: PrivateKey = keystore::load_private_key_file(&file, passphrase).map_err(
                |error| match error {
                    keystore::PemError::Io { .. } => format!("{location}: {error}"),
                    _ => format!("{location}: key file {}: {error}", file.display()),
                },
            )?;
            (key.public(), None)
        };

        entries.push(RsaEntry {
            selectors,
            public,
            header,
        });
    }
    Ok(())
}

/// Returns the selectors of the entry whose `: RSA` is on the last of `lines`: the words before
/// the colon, and those of the indented lines above it back to the line that starts the entry.
fn entry_selectors(lines: &[&str], before_colon: &str) -> Vec<String> {
    let mut words: Vec<String> = before_colon.split_whitespace().map(str::to_owned).collect();
    let Some((last, earlier)) = lines.split_last() else {
        return words;
    };
    if !last.starts_with(char::is_whitespace) {
        return words;
    }
    for line in earlier.iter().rev() {
        let text = strip_comment(line);
        if text.trim().is_empty() || text.contains(':') {
            break;
        }
        let mut prefix: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        prefix.append(&mut words);
        words = prefix;
        if !line.starts_with(char::is_whitespace) {
            break;
        }
    }
    words
}

/// Removes a `#` comment; values with `#` inside quotes do not occur on RSA lines.
fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(position) if !line[..position].contains('"') => &line[..position],
        _ => line,
    }
}

/// Expands an `include` pattern: relative to the including file's directory, with `*` and `?`
/// in the last path component.
fn expand_include(including: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let pattern = Path::new(pattern);
    let pattern = if pattern.is_absolute() {
        pattern.to_path_buf()
    } else {
        match including.parent() {
            Some(directory) if !directory.as_os_str().is_empty() => directory.join(pattern),
            _ => Path::new(".").join(pattern),
        }
    };
    let Some(name) = pattern.file_name().and_then(|name| name.to_str()) else {
        return Ok(Vec::new());
    };
    if !name.contains(['*', '?']) {
        return Ok(if pattern.exists() {
            vec![pattern]
        } else {
            Vec::new()
        });
    }

    let directory = pattern.parent().unwrap_or(Path::new("/"));
    let Ok(listing) = std::fs::read_dir(directory) else {
        return Ok(Vec::new());
    };
    let mut matches: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|candidate| glob_match(name.as_bytes(), candidate.as_bytes()))
        })
        .map(|entry| entry.path())
        .collect();
    matches.sort();
    Ok(matches)
}

/// Matches a file name against a pattern with `*` (any run) and `?` (one character).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            glob_match(rest, name) || (!name.is_empty() && glob_match(pattern, &name[1..]))
        }
        (Some((b'?', rest)), Some((_, name_rest))) => glob_match(rest, name_rest),
        (Some((expected, rest)), Some((found, name_rest))) => {
            expected == found && glob_match(rest, name_rest)
        }
        _ => false,
    }
}

/// Finds `leftid=`/`rightid=` of `conn NAME` in ipsec.conf, following `also=` and `%default`.
///
/// NOTE: this reads only what `showhostkey` needs (sections, `also=`, the id keys, `include`
/// is not followed); the full grammar is in the `ipsec-conf` crate.
fn conn_id(config: &Path, name: &str, side: &str) -> Result<Option<String>, String> {
    let text = read_limited(config)?;
    let sections = conf_sections(&text);
    if !sections
        .iter()
        .any(|(kind, section, _)| *kind == "conn" && section == name)
    {
        return Err(format!("conn {name:?} not found in {}", config.display()));
    }

    let key = format!("{side}id");
    let mut pending = vec![name.to_owned()];
    let mut visited = Vec::new();
    while let Some(current) = pending.pop() {
        if visited.contains(&current) || visited.len() > MAX_INCLUDE_DEPTH * 10 {
            continue;
        }
        visited.push(current.clone());
        let Some((_, _, settings)) = sections
            .iter()
            .find(|(kind, section, _)| *kind == "conn" && *section == current)
        else {
            continue;
        };
        if let Some((_, value)) = settings.iter().find(|(setting, _)| *setting == key) {
            return Ok(Some(value.clone()));
        }
        for (setting, value) in settings {
            if setting == "also" {
                pending.push(value.clone());
            }
        }
        if pending.is_empty() && current != "%default" {
            pending.push("%default".to_owned());
        }
    }
    Ok(None)
}

type Section = (&'static str, String, Vec<(String, String)>);

/// Splits ipsec.conf into (`conn` or `config`, name, key=value settings).
fn conf_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        let content = strip_comment(line).trim_end();
        if content.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            let mut words = content.split_whitespace();
            match (words.next(), words.next()) {
                (Some("conn"), Some(name)) => sections.push(("conn", name.to_owned(), Vec::new())),
                (Some("config"), Some(name)) => {
                    sections.push(("config", name.to_owned(), Vec::new()))
                }
                _ => {}
            }
            continue;
        }
        if let (Some(section), Some((key, value))) = (sections.last_mut(), content.split_once('='))
        {
            let value = value.trim().trim_matches('"').to_owned();
            section.2.push((key.trim().to_owned(), value));
        }
    }
    sections
}

/// Reads this machine's host name for the key comment.
fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Formats a time as C's `ctime` does (`Fri Dec  4 21:03:17 2026`), in UTC.
fn ctime_utc(time: SystemTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;

    // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
    let shifted = days as i64 + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);

    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gateway-keytools-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn ctime_known_dates() {
        let at = |seconds| ctime_utc(UNIX_EPOCH + std::time::Duration::from_secs(seconds));
        assert_eq!(at(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(at(1_349_542_421), "Sat Oct  6 16:53:41 2012");
        assert_eq!(at(951_854_400), "Tue Feb 29 20:00:00 2000");
    }

    #[test]
    fn ranbits_grouping() {
        let bytes: Vec<u8> = (0..16).map(|i| i * 17).collect();
        assert_eq!(
            *format_ranbits(&bytes, false),
            "0x00112233_44556677_8899aabb_ccddeeff"
        );
        assert_eq!(
            *format_ranbits(&bytes, true),
            "0x00112233445566778899aabbccddeeff"
        );
        assert_eq!(*format_ranbits(&[0xab, 0xcd], false), "0xabcd");
    }

    #[test]
    fn glob_patterns() {
        assert!(glob_match(b"*.secrets", b"east.secrets"));
        assert!(glob_match(b"key-????.secrets", b"key-2048.secrets"));
        assert!(!glob_match(b"*.secrets", b"east.conf"));
    }

    #[test]
    fn include_glob_beside_relative_secrets_path() {
        // `--secrets ipsec.secrets` has an empty parent; the glob must still look in ".".
        let matches = expand_include(Path::new("ipsec.secrets"), "Cargo.tom?").unwrap();
        assert_eq!(matches, [Path::new(".").join("Cargo.toml")]);
    }

    #[test]
    fn include_cycle_named() {
        let dir = temp_dir("cycle");
        std::fs::write(dir.join("a.secrets"), "include b.secrets\n").unwrap();
        std::fs::write(dir.join("b.secrets"), "# b\ninclude *.secrets\n").unwrap();
        let error = read_rsa_entries(&dir.join("a.secrets")).err().unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(
            error,
            format!(
                "include cycle: {a} -> {b} -> {a}: remove one of these include lines",
                a = dir.join("a.secrets").display(),
                b = dir.join("b.secrets").display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn binary_secrets_line_and_column() {
        let dir = temp_dir("binary");
        let path = dir.join("ipsec.secrets");
        std::fs::write(&path, b"# ok\n@a : PSK \"x\xff\"\n").unwrap();
        let error = read_rsa_entries(&path).err().unwrap();
        assert_eq!(
            error,
            format!(
                "{}:2:12: not UTF-8 text (is this a binary file?): ipsec.secrets and ipsec.conf are text files",
                path.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wrapped_block_value_located() {
        let dir = temp_dir("wrapped");
        let key = keystore::generate(1024, &mut keystore::OsRng).unwrap();
        let body = keystore::format_rsa_block_body(&key, "east", "Fri Dec  4 21:03:17 2026");
        let modulus = body.find("\tModulus: 0x").unwrap() + 40;
        let wrapped = format!("{}\n{}", &body[..modulus], &body[modulus..]);
        let path = dir.join("ipsec.secrets");
        std::fs::write(&path, format!(": RSA {{\n{wrapped}\t}}\n")).unwrap();
        let error = read_rsa_entries(&path).err().unwrap();
        assert!(
            error.starts_with(&format!(
                "{}: line 6 continues the value on line 5: ",
                path.display()
            )),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_key_file_named() {
        let dir = temp_dir("badkey");
        let key = dir.join("key.pem");
        std::fs::write(&key, "not a key\n").unwrap();
        let secrets = dir.join("ipsec.secrets");
        std::fs::write(&secrets, format!(": RSA {}\n", key.display())).unwrap();
        let error = read_rsa_entries(&secrets).err().unwrap();
        assert!(
            error.starts_with(&format!(
                "{}:1: key file {}: ",
                secrets.display(),
                key.display()
            )),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn showhostkey_picks_entry_by_conn_id() {
        let dir = temp_dir("showhostkey");
        let east = keystore::generate(1024, &mut keystore::OsRng).unwrap();
        let west = keystore::generate(1024, &mut keystore::OsRng).unwrap();
        let secrets = format!(
            "# keys\n10.0.0.1 10.0.0.2 : PSK \"not this one\"\n@west\n\t@west.example.com : RSA\n  {{\n{}  }}\n@east : RSA {{\n{}\t}}\n",
            &*keystore::format_rsa_block_body(&west, "west", "Fri Dec  4 21:03:17 2026"),
            &*keystore::format_rsa_block_body(&east, "east", "Fri Dec  4 21:03:17 2026"),
        );
        std::fs::write(dir.join("ipsec.secrets"), secrets).unwrap();
        std::fs::write(
            dir.join("ipsec.conf"),
            "version 2.0\n\nconn %default\n\tleftid=@west\n\nconn base\n\trightid=@east\n\nconn net-to-net\n\talso=base\n\tauto=start\n",
        )
        .unwrap();

        let mut args = ShowhostkeyArgs {
            left: true,
            right: false,
            conn: None,
            id: None,
            config: dir.join("ipsec.conf"),
            secrets: dir.join("ipsec.secrets"),
        };
        let first = showhostkey_output(&args).unwrap();
        assert_eq!(
            first,
            format!(
                "\t# RSA 1024 bits   west   Fri Dec  4 21:03:17 2026\n\tleftrsasigkey={}\n",
                west.public().to_rfc3110_0s()
            )
        );

        args.left = false;
        args.right = true;
        args.conn = Some("net-to-net".to_owned());
        let right = showhostkey_output(&args).unwrap();
        assert!(right.ends_with(&format!(
            "\trightrsasigkey={}\n",
            east.public().to_rfc3110_0s()
        )));

        args.conn = None;
        args.id = Some("@west.example.com".to_owned());
        let by_id = showhostkey_output(&args).unwrap();
        assert!(by_id.contains(&west.public().to_rfc3110_0s()));

        args.id = Some("@nobody".to_owned());
        assert!(showhostkey_output(&args).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
