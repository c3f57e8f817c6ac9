//! The control socket between `auto`/`whack` and the daemon.
//!
//! A Unix stream socket, `pluto.ctl` under the run directory. The client writes one request
//! line; the daemon replies with Openswan's numbered status lines (`104 "net-to-net" #1:
//! STATE_MAIN_I1: initiate`) as they happen, then a final line `=rc N` carrying the exit status
//! the client should return. Status lines never start with `=`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::cli::{Paths, EXIT_FAILURE};

/// Maximum length of a request line; a connection name is far shorter.
pub const MAX_REQUEST_LEN: usize = 4096;

/// Prefix of the final line of every reply.
pub const RC_PREFIX: &str = "=rc ";

/// How long a client waits for the daemon before giving up on one reply line. `auto --up`
/// is bounded by the engine's own retransmission limit, which is shorter.
pub const CLIENT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// One request to the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Add(String),
    Delete(String),
    Up(String),
    Down(String),
    Replace(String),
    RereadSecrets,
    Status,
    Shutdown,
}

impl Request {
    /// Encodes the request as its line, without the newline.
    pub fn to_line(&self) -> String {
        match self {
            Request::Add(name) => format!("add {name}"),
            Request::Delete(name) => format!("delete {name}"),
            Request::Up(name) => format!("up {name}"),
            Request::Down(name) => format!("down {name}"),
            Request::Replace(name) => format!("replace {name}"),
            Request::RereadSecrets => "rereadsecrets".to_string(),
            Request::Status => "status".to_string(),
            Request::Shutdown => "shutdown".to_string(),
        }
    }

    /// Parses a request line; returns `None` for an unknown verb or a missing name.
    pub fn parse(line: &str) -> Option<Request> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, name) = match line.split_once(' ') {
            Some((verb, name)) if !name.is_empty() => (verb, Some(name.to_string())),
            Some(_) => return None,
            None => (line, None),
        };
        match (verb, name) {
            ("add", Some(name)) => Some(Request::Add(name)),
            ("delete", Some(name)) => Some(Request::Delete(name)),
            ("up", Some(name)) => Some(Request::Up(name)),
            ("down", Some(name)) => Some(Request::Down(name)),
            ("replace", Some(name)) => Some(Request::Replace(name)),
            ("rereadsecrets", None) => Some(Request::RereadSecrets),
            ("status", None) => Some(Request::Status),
            ("shutdown", None) => Some(Request::Shutdown),
            _ => None,
        }
    }
}

/// Sends `request` to the daemon, prints each answer line to stdout as it arrives, and returns
/// the exit status from the final line.
pub fn run_client(paths: &Paths, request: Request) -> u8 {
    let socket = paths.control_socket();
    let stream = match UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(error) => {
            eprintln!(
                "connect to the daemon's control socket {} failed: {error}; is `setup start` running with this --rundir?",
                socket.display()
            );
            return EXIT_FAILURE;
        }
    };
    // A closed stdout (`auto --status | head`) ends the printing, not the process.
    let mut stdout = std::io::stdout().lock();
    let mut print = |line: &str| {
        let _ = writeln!(stdout, "{line}");
    };
    match exchange(stream, &request, &mut print) {
        Ok(rc) => rc,
        Err(error) => {
            eprintln!("control socket {}: {error}", socket.display());
            EXIT_FAILURE
        }
    }
}

/// Writes the request and passes each answer line to `on_line`; returns the final status.
pub fn exchange(
    mut stream: UnixStream,
    request: &Request,
    mut on_line: impl FnMut(&str),
) -> std::io::Result<u8> {
    stream.set_read_timeout(Some(CLIENT_READ_TIMEOUT))?;
    stream.write_all(format!("{}\n", request.to_line()).as_bytes())?;

    let reader = BufReader::new(stream);
    for line in reader.lines() {
        let line = line?;
        if let Some(rc) = line.strip_prefix(RC_PREFIX) {
            return Ok(rc.trim().parse().unwrap_or(EXIT_FAILURE));
        }
        on_line(&line);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the daemon closed the connection without a final status",
    ))
}

/// The daemon's side of one client connection: status lines go out as they happen.
pub struct Reply {
    stream: Option<UnixStream>,
}

impl Reply {
    pub fn new(stream: UnixStream) -> Reply {
        Reply {
            stream: Some(stream),
        }
    }

    /// Creates a reply that discards everything, for internal steps of a request.
    pub fn sink() -> Reply {
        Reply { stream: None }
    }

    /// Sends one status line. A client that went away is not an error for the daemon: the
    /// operation goes on, as Openswan's does when whack is interrupted.
    pub fn line(&mut self, line: &str) {
        if let Some(stream) = &mut self.stream {
            let _ = stream.write_all(format!("{line}\n").as_bytes());
        }
    }

    /// Sends the final status and closes the connection.
    pub fn finish(mut self, rc: u8) {
        self.finish_ref(rc);
    }

    /// Sends the final status and closes the connection; later calls do nothing.
    pub fn finish_ref(&mut self, rc: u8) {
        if let Some(mut stream) = self.stream.take() {
            let _ = stream.write_all(format!("{RC_PREFIX}{rc}\n").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_round_trip() {
        let requests = [
            Request::Add("net-to-net".into()),
            Request::Delete("a".into()),
            Request::Up("net-to-net".into()),
            Request::Down("x".into()),
            Request::Replace("y".into()),
            Request::RereadSecrets,
            Request::Status,
            Request::Shutdown,
        ];
        for request in requests {
            assert_eq!(Request::parse(&request.to_line()), Some(request));
        }
    }

    #[test]
    fn request_parse_rejects_bad_lines() {
        assert_eq!(Request::parse("up"), None);
        assert_eq!(Request::parse("up "), None);
        assert_eq!(Request::parse("status net"), None);
        assert_eq!(Request::parse("launch x"), None);
    }
}
