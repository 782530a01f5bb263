//! How a command fails, and the exit status that says so to a script.
//!
//! Every command returns an [`crate::Error`]; those it raises itself are a [`Failure`], whose kind
//! picks the exit status ([`exit_status`]). The statuses are documented in `samspil --help`
//! ([`EXIT_STATUS_HELP`]) and in docs/operations.md, "The command line", and tested in
//! `cli/tests/cmd/`.

use std::fmt;

/// The exit statuses, as `samspil --help` prints them.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  done
  1  done, but input was rejected as bad input (replay: lines; simulate: generated messages)
  2  usage: the command line is wrong
  3  a file could not be read or written, or is not in its format
  4  bad configuration, or refused: an option, policy file, stack file or environment that cannot
     work; an AWS account that was not confirmed (--yes)
  5  an AWS call failed
  6  anything else failed";

/// What went wrong, by the exit status it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Input was rejected as bad input; the rest was processed (1).
    Rejected,
    /// A file could not be read or written, or is not in its format (3).
    Unreadable,
    /// Configuration that cannot work, or the user did not confirm (4).
    Config,
    /// An AWS call failed (5).
    Aws,
}

impl Kind {
    /// The exit status of this kind of failure.
    pub fn exit_status(self) -> u8 {
        match self {
            Kind::Rejected => 1,
            Kind::Unreadable => 3,
            Kind::Config => 4,
            Kind::Aws => 5,
        }
    }
}

/// A command's failure: its kind and a readable message (never a message body or a CPR number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into() }
    }

    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(Kind::Rejected, message)
    }

    pub fn unreadable(message: impl Into<String>) -> Self {
        Self::new(Kind::Unreadable, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }

    pub fn aws(message: impl Into<String>) -> Self {
        Self::new(Kind::Aws, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Status 6: a failure none of the kinds describe.
pub const OTHER: u8 = 6;

/// The exit status for `error`: its [`Kind`]'s if it is a [`Failure`]; an I/O error is a file or
/// stream that could not be read or written (3); a policy file or a sender map that cannot be
/// used is bad configuration (4); anything else is [`OTHER`].
pub fn exit_status(error: &(dyn std::error::Error + 'static)) -> u8 {
    if let Some(failure) = error.downcast_ref::<Failure>() {
        failure.kind.exit_status()
    } else if error.is::<std::io::Error>() || error.is::<serde_json::Error>() {
        Kind::Unreadable.exit_status()
    } else if error.is::<samspil::policy::PolicyError>()
        || error.is::<samspil::senders::SendersError>()
        || error.is::<samspil::identity::EmptySecret>()
    {
        Kind::Config.exit_status()
    } else if error.is::<samspil::pipeline::SweepError>() {
        Kind::Aws.exit_status()
    } else {
        OTHER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_own_status_and_the_help_lists_them_all() {
        let statuses = [Kind::Rejected, Kind::Unreadable, Kind::Config, Kind::Aws].map(Kind::exit_status);
        assert_eq!(statuses, [1, 3, 4, 5]);
        for status in [0, 1, 2, 3, 4, 5, OTHER] {
            assert!(EXIT_STATUS_HELP.contains(&format!("\n  {status}  ")), "status {status} in the help");
        }
        let boxed: Box<dyn std::error::Error> = Box::new(Failure::config("x"));
        assert_eq!(exit_status(boxed.as_ref()), 4);
        let io: Box<dyn std::error::Error> = Box::new(std::io::Error::other("disk"));
        assert_eq!(exit_status(io.as_ref()), 3);
        let other: Box<dyn std::error::Error> = "something".into();
        assert_eq!(exit_status(other.as_ref()), OTHER);
    }
}
