//! [`JsonError`]: why text is not a JSON flashblock.

use core::fmt;

/// What kind of JSON failure (`serde_json`'s categories).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Not syntactically valid JSON.
    Syntax,
    /// Valid JSON that is not a flashblock: a missing field, a wrong type, a bad hex
    /// string or quantity, a receipt in neither style.
    Data,
    /// The text ends in the middle of a value.
    Eof,
}

/// Why text is not a JSON flashblock: `serde_json`'s report, kept as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// What kind of failure.
    pub kind: JsonErrorKind,
    /// The line (1-based) where it was found; 0 when not known.
    pub line: usize,
    /// The column (1-based) where it was found; 0 when not known.
    pub column: usize,
    /// `serde_json`'s description, which names the field or the expected type.
    pub message: String,
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Syntax => JsonErrorKind::Syntax,
            Category::Eof => JsonErrorKind::Eof,
            // Reading from a slice does no IO; treat it as the data error it would be.
            Category::Data | Category::Io => JsonErrorKind::Data,
        };
        Self { kind, line: e.line(), column: e.column(), message: e.to_string() }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `serde_json`'s message already ends with "at line L column C".
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}
