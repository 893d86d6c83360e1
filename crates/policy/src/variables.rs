//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the
//! escapes `${*}`, `${?}`, `${$}`) in `Resource` and condition values. A value without
//! variables is compiled once into a [`Glob`]; one with variables is resolved against
//! the request at evaluation time. Variables exist only in version `2012-10-17`.

use crate::pattern::{Glob, Token};

/// A variable could not be resolved and has no default: AWS treats the statement as
/// not matching (`reference_policies_variables.html`, "Policy variables with no value").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unresolved;

/// Supplies the single value of a (lowercased) context key for substitution.
pub(crate) trait Variables {
    fn variable(&self, key: &str) -> Option<String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Policy text; `*` and `?` are wildcards where the operator allows them.
    Text(String),
    /// A character from `${*}`, `${?}` or `${$}`: always literal.
    Char(char),
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// A string value from a policy, split into text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Splits `text` into pieces; with `variables` false (version `2008-10-17`), the
    /// whole text is literal policy text.
    pub(crate) fn parse(text: &str, variables: bool) -> Self {
        if !variables || !text.contains("${") {
            return Self {
                pieces: vec![Piece::Text(text.to_owned())],
            };
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(start) = rest.find("${") {
            literal.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some((end, piece)) = after
                .find('}')
                .and_then(|end| parse_variable(&after[..end]).map(|piece| (end, piece)))
            {
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
                rest = &after[end + 1..];
            } else {
                literal.push_str("${");
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Self { pieces }
    }

    pub(crate) fn has_variables(&self) -> bool {
        self.pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Variable { .. }))
    }

    /// Splits the template at `:` in its text into at most `max` parts (ARN parts).
    pub(crate) fn split_arn(&self, max: usize) -> Vec<Self> {
        let mut parts = Vec::new();
        let mut current = Vec::new();
        for piece in &self.pieces {
            let Piece::Text(text) = piece else {
                current.push(piece.clone());
                continue;
            };
            let mut segments = text.split(':').peekable();
            while let Some(segment) = segments.next() {
                if !segment.is_empty() {
                    current.push(Piece::Text(segment.to_owned()));
                }
                if segments.peek().is_some() {
                    if parts.len() + 1 < max {
                        parts.push(Self {
                            pieces: std::mem::take(&mut current),
                        });
                    } else {
                        current.push(Piece::Text(":".to_owned()));
                    }
                }
            }
        }
        parts.push(Self { pieces: current });
        parts
    }

    /// The tokens after substitution; `wildcards` makes `*` and `?` in text wildcards.
    fn tokens(
        &self,
        variables: Option<&dyn Variables>,
        wildcards: bool,
    ) -> Result<Vec<Token>, Unresolved> {
        let mut tokens = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) if wildcards => tokens.extend(glob_tokens(&Glob::wildcard(text))),
                Piece::Text(text) => tokens.push(Token::Literal(text.clone())),
                Piece::Char(character) => tokens.push(Token::Literal(character.to_string())),
                Piece::Variable { key, default } => {
                    let value = variables
                        .and_then(|source| source.variable(key))
                        .or_else(|| default.clone())
                        .ok_or(Unresolved)?;
                    tokens.push(Token::Literal(value));
                }
            }
        }
        Ok(tokens)
    }
}

fn glob_tokens(glob: &Glob) -> Vec<Token> {
    match glob {
        Glob::Any => vec![Token::AnyString],
        Glob::Exact(literal) => vec![Token::Literal(literal.to_string())],
        Glob::Prefix(literal) => vec![Token::Literal(literal.to_string()), Token::AnyString],
        Glob::Tokens(tokens) => tokens.to_vec(),
    }
}

fn parse_variable(inner: &str) -> Option<Piece> {
    let inner = inner.trim();
    match inner {
        "*" => return Some(Piece::Char('*')),
        "?" => return Some(Piece::Char('?')),
        "$" => return Some(Piece::Char('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(quoted.replace("''", "'")))
        }
        None => (inner, None),
    };
    let valid = !key.is_empty()
        && key.contains(':')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:/.@+=".contains(c));
    valid.then(|| Piece::Variable {
        key: key.to_ascii_lowercase(),
        default,
    })
}

/// A string or pattern value from a policy, compiled when it has no variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    Static(Glob),
    Dynamic { template: Template, wildcards: bool },
}

impl Matcher {
    pub(crate) fn new(template: Template, wildcards: bool) -> Self {
        if template.has_variables() {
            return Self::Dynamic {
                template,
                wildcards,
            };
        }
        let tokens = template.tokens(None, wildcards).unwrap_or_default();
        Self::Static(Glob::from_tokens(tokens))
    }

    pub(crate) fn matches(
        &self,
        value: &str,
        fold: bool,
        variables: &dyn Variables,
    ) -> Result<bool, Unresolved> {
        match self {
            Self::Static(glob) => Ok(glob.matches(value, fold)),
            Self::Dynamic {
                template,
                wildcards,
            } => {
                let glob = Glob::from_tokens(template.tokens(Some(variables), *wildcards)?);
                Ok(glob.matches(value, fold))
            }
        }
    }

    /// The resolved text, for operators that compare whole values.
    pub(crate) fn resolve(&self, variables: &dyn Variables) -> Result<String, Unresolved> {
        let tokens = match self {
            Self::Static(glob) => glob_tokens(glob),
            Self::Dynamic { template, .. } => template.tokens(Some(variables), false)?,
        };
        Ok(tokens
            .into_iter()
            .map(|token| match token {
                Token::Literal(text) => text,
                Token::AnyString => "*".to_owned(),
                Token::AnyChar => "?".to_owned(),
            })
            .collect())
    }
}

/// An ARN pattern: each of the six colon-separated parts matched on its own; the last
/// part takes the rest of the ARN, colons included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnMatcher {
    parts: Box<[Matcher]>,
}

impl ArnMatcher {
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        let parts = Template::parse(text, variables)
            .split_arn(6)
            .into_iter()
            .map(|part| Matcher::new(part, true))
            .collect();
        Self { parts }
    }

    pub(crate) fn matches(&self, arn: &str, variables: &dyn Variables) -> Result<bool, Unresolved> {
        let mut pieces = arn.splitn(self.parts.len(), ':');
        for part in &self.parts {
            let Some(piece) = pieces.next() else {
                return Ok(false);
            };
            if !part.matches(piece, false, variables)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Variables for Fixed {
        fn variable(&self, key: &str) -> Option<String> {
            (key == "aws:username").then(|| "bob".to_owned())
        }
    }

    #[test]
    fn substitutes_variables_and_defaults() {
        let matcher = Matcher::new(
            Template::parse(
                "home/${aws:username}/${aws:PrincipalTag/team, 'all'}/*",
                true,
            ),
            true,
        );
        assert_eq!(matcher.matches("home/bob/all/x", false, &Fixed), Ok(true));
        assert_eq!(
            matcher.matches("home/alice/all/x", false, &Fixed),
            Ok(false)
        );
    }

    #[test]
    fn escapes_are_literal_characters() {
        let matcher = Matcher::new(Template::parse("a${*}b${?}${$}", true), true);
        assert_eq!(matcher.matches("a*b?$", false, &Fixed), Ok(true));
        assert_eq!(matcher.matches("axb?$", false, &Fixed), Ok(false));
    }

    #[test]
    fn missing_variable_without_default_is_unresolved() {
        let matcher = Matcher::new(Template::parse("${aws:userid}", true), false);
        assert_eq!(matcher.matches("x", false, &Fixed), Err(Unresolved));
    }

    #[test]
    fn arn_parts_do_not_let_star_cross_colons() {
        let matcher = ArnMatcher::new("arn:aws:iam::*:user/*", true);
        assert_eq!(
            matcher.matches("arn:aws:iam::123456789012:user/bob", &Fixed),
            Ok(true)
        );
        assert_eq!(
            ArnMatcher::new("arn:aws:*", true).matches("arn:aws:s3:::b", &Fixed),
            Ok(true)
        );
        assert_eq!(
            ArnMatcher::new("arn:aws:s3:::*", true).matches("arn:aws:s3:us-east-1::b", &Fixed),
            Ok(false)
        );
    }
}
