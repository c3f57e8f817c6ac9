//! Running `ip` and other system commands, optionally inside a network namespace.

use std::process::{Command, Output, Stdio};

/// A failed system command, with what it printed.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed: {detail}")]
pub struct CommandError {
    pub command: String,
    pub detail: String,
}

/// Runs `program args...` in the namespace `netns` (or the current one for `None`) and
/// returns its stdout; a non-zero exit is an error carrying stderr.
pub fn run(netns: Option<&str>, program: &str, args: &[&str]) -> Result<String, CommandError> {
    let output = output(netns, program, args)?;
    let command = display(netns, program, args);
    if !output.status.success() {
        return Err(CommandError {
            command,
            detail: format!(
                "{} ({})",
                String::from_utf8_lossy(&output.stderr).trim(),
                output.status
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a command and returns its output whatever the exit status.
pub fn output(netns: Option<&str>, program: &str, args: &[&str]) -> Result<Output, CommandError> {
    command(netns, program, args)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| CommandError {
            command: display(netns, program, args),
            detail: error.to_string(),
        })
}

/// Builds the command, wrapped in `ip netns exec NETNS` when a namespace is given.
pub fn command(netns: Option<&str>, program: &str, args: &[&str]) -> Command {
    match netns {
        Some(netns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", netns, program]).args(args);
            command
        }
        None => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

/// Runs `ip ARGS` in the current namespace.
pub fn ip(args: &[&str]) -> Result<String, CommandError> {
    run(None, "ip", args)
}

fn display(netns: Option<&str>, program: &str, args: &[&str]) -> String {
    let mut text = match netns {
        Some(netns) => format!("ip netns exec {netns} {program}"),
        None => program.to_string(),
    };
    for arg in args {
        text.push(' ');
        text.push_str(arg);
    }
    text
}
