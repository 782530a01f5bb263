//! [`CodecError`]: why stored bytes did not decode, for every part of the codec.

/// Why bytes did not decode. Carries positions, never values (a state is personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("the state is empty")]
    Empty,
    #[error("unknown state format {0}")]
    UnknownFormat(u8),
    #[error("the state ends early, at byte {at}")]
    Truncated { at: usize },
    #[error("invalid {what} at byte {at}")]
    Invalid { what: &'static str, at: usize },
    #[error("section tag {tag} at byte {at} is unknown or out of order")]
    UnknownSection { tag: u64, at: usize },
}
