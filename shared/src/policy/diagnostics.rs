//! Locating mistakes in a policy file: byte spans to `file:line: field: message`.
//!
//! A policy file is edited by hand, so an error must point at the spot to fix. serde and toml
//! report byte spans (kept by `toml::Spanned` and by toml's own errors) and `serde_path_to_error`
//! reports the path of the value being read; this module turns both into [`PolicyError`]s. The
//! semantic checks report into a [`Diagnostics`] rather than stopping at the first problem, and
//! the first mistake *by line* wins, so the result does not depend on map iteration order.

use std::ops::Range;

use super::PolicyError;

/// Collects the mistakes found in one policy file and locates them.
pub(super) struct Diagnostics<'a> {
    /// The file's text, to turn byte offsets into line numbers.
    text: &'a str,
    /// The file's name for messages.
    origin: &'a str,
    /// Everything reported so far.
    errors: Vec<PolicyError>,
}

impl<'a> Diagnostics<'a> {
    /// No mistakes yet in `text`, called `origin` in messages.
    pub(super) fn new(text: &'a str, origin: &'a str) -> Self {
        Diagnostics { text, origin, errors: Vec::new() }
    }

    /// How many mistakes have been reported; compare before and after a check.
    pub(super) fn count(&self) -> usize {
        self.errors.len()
    }

    /// A TOML syntax error (bad quoting, duplicate key, impossible date), with the field guessed.
    pub(super) fn syntax_error(&self, error: &toml::de::Error) -> PolicyError {
        let span = error.span().unwrap_or(0..0);
        self.error(span.clone(), guess_field(self.text, span.start), error.message())
    }

    /// An error at byte `span` of the file.
    pub(super) fn error(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> PolicyError {
        let end = span.start.min(self.text.len());
        let line = self.text.as_bytes()[..end].iter().filter(|&&byte| byte == b'\n').count() + 1;
        PolicyError { file: self.origin.to_owned(), line, field: field.into(), message: message.into() }
    }

    /// Records a mistake at byte `span`.
    pub(super) fn report(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        let error = self.error(span, field, message);
        self.errors.push(error);
    }

    /// The first mistake by line, or `value` when there was none.
    pub(super) fn finish<T>(self, value: T) -> Result<T, PolicyError> {
        match self.errors.into_iter().min_by_key(|error| error.line) {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// Turns a serde error (unknown key, wrong type, missing field) into a located error.
    pub(super) fn serde_error(&self, error: serde_path_to_error::Error<toml::de::Error>) -> PolicyError {
        let mut field = String::new();
        for segment in error.path().iter() {
            match segment {
                // `Spanned` is a struct with private field names; they are not the user's fields.
                serde_path_to_error::Segment::Map { key } if key.starts_with("$__serde_spanned") => {}
                serde_path_to_error::Segment::Map { key } => push_key(&mut field, key),
                serde_path_to_error::Segment::Enum { variant } => push_key(&mut field, variant),
                serde_path_to_error::Segment::Seq { index } => field.push_str(&format!("[{index}]")),
                serde_path_to_error::Segment::Unknown => push_key(&mut field, "?"),
            }
        }
        let inner = error.into_inner();
        let message = inner.message().to_owned();
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            push_key(&mut field, missing);
        }
        self.error(inner.span().unwrap_or(0..0), field, message)
    }
}

/// Appends `key` to a dotted field path.
fn push_key(field: &mut String, key: &str) {
    if !field.is_empty() {
        field.push('.');
    }
    field.push_str(key);
}

/// Best-effort field path for a TOML syntax error at byte `offset`: the last `[table]` header
/// before its line, plus the key on its line.
fn guess_field(text: &str, offset: usize) -> String {
    let offset = (0..=offset.min(text.len())).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |at| offset + at);
    let mut field = String::new();
    for line in text[..line_start].lines() {
        let line = line.trim_start();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            field = header.split(']').next().unwrap_or_default().trim().to_owned();
        }
    }
    let line = text[line_start..line_end].trim_start();
    if !line.starts_with('[')
        && !line.starts_with('#')
        && let Some((key, _)) = line.split_once('=')
    {
        push_key(&mut field, key.trim().trim_matches('"'));
    }
    field
}
