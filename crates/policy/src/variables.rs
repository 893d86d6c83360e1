//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the
//! escapes `${*}`, `${?}`, `${$}`) in `Resource` and condition values. A value without
//! variables is compiled once into a [`Glob`]; one with variables is resolved against
//! the request at evaluation time. Variables exist only in version `2012-10-17`.

use std::borrow::Cow;

use crate::pattern::{Glob, Token, match_tokens};

/// A variable could not be resolved and has no default: AWS treats the statement as
/// not matching (`reference_policies_variables.html`, "Policy variables with no value").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unresolved;

/// Supplies the single value of a (lowercased) context key for substitution.
pub(crate) trait Variables {
    fn variable(&self, key: &str) -> Option<Cow<'_, str>>;
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

    /// Compiles the pieces: text into tokens (`*`/`?` are wildcards when
    /// `wildcards`), escapes into literals, variables kept for substitution.
    fn compile(&self, wildcards: bool) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            let tokens = match piece {
                Piece::Text(text) if wildcards => glob_tokens(&Glob::wildcard(text)),
                Piece::Text(text) => vec![Token::Literal(text.clone())],
                Piece::Char(character) => vec![Token::Literal(character.to_string())],
                Piece::Variable { key, default } => {
                    parts.push(Part::Variable {
                        key: key.clone(),
                        default: default.clone(),
                    });
                    continue;
                }
            };
            if let Some(Part::Tokens(previous)) = parts.last_mut() {
                previous.extend(tokens);
            } else {
                parts.push(Part::Tokens(tokens));
            }
        }
        parts
    }
}

/// A compiled piece of a value with variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Tokens(Vec<Token>),
    Variable {
        key: String,
        default: Option<String>,
    },
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
    Dynamic(Box<[Part]>),
}

impl Matcher {
    pub(crate) fn new(template: &Template, wildcards: bool) -> Self {
        let parts = template.compile(wildcards);
        if template.has_variables() {
            return Self::Dynamic(parts.into_boxed_slice());
        }
        let tokens = parts
            .into_iter()
            .flat_map(|part| match part {
                Part::Tokens(tokens) => tokens,
                Part::Variable { .. } => Vec::new(),
            })
            .collect();
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
            Self::Dynamic(parts) => match matches_inline(parts, value, fold, variables)? {
                Some(found) => Ok(found),
                None => matches_allocating(parts, value, fold, variables),
            },
        }
    }

    /// The resolved text, for operators that compare whole values.
    pub(crate) fn resolve(&self, variables: &dyn Variables) -> Result<String, Unresolved> {
        let parts: &[Part] = match self {
            Self::Static(glob) => return Ok(glob_text(&glob_tokens(glob))),
            Self::Dynamic(parts) => parts,
        };
        let resolved = resolve_all(parts, variables)?;
        let mut values = resolved.iter();
        let mut text = String::new();
        for part in parts {
            match part {
                Part::Tokens(tokens) => text.push_str(&glob_text(tokens)),
                Part::Variable { .. } => text.push_str(values.next().map_or("", AsRef::as_ref)),
            }
        }
        Ok(text)
    }
}

/// Substitutes the variables into the pattern's tokens on the stack and matches,
/// without allocating; `None` when the pattern is too long for the stack buffers.
fn matches_inline(
    parts: &[Part],
    value: &str,
    fold: bool,
    variables: &dyn Variables,
) -> Result<Option<bool>, Unresolved> {
    const SLOTS: usize = 8;
    const TOKENS: usize = 32;
    let mut resolved: [Option<Cow<'_, str>>; SLOTS] = Default::default();
    let mut count = 0;
    for part in parts {
        if let Part::Variable { key, default } = part {
            let text = variables
                .variable(key)
                .or_else(|| default.as_deref().map(Cow::Borrowed))
                .ok_or(Unresolved)?;
            let Some(slot) = resolved.get_mut(count) else {
                return Ok(None);
            };
            *slot = Some(text);
            count += 1;
        }
    }
    let mut tokens: [Token<&str>; TOKENS] = std::array::from_fn(|_| Token::AnyString);
    let mut length = 0;
    let mut values = resolved.iter();
    for part in parts {
        match part {
            Part::Tokens(list) => {
                for token in list {
                    let Some(slot) = tokens.get_mut(length) else {
                        return Ok(None);
                    };
                    *slot = match token {
                        Token::Literal(text) => Token::Literal(text.as_str()),
                        Token::AnyString => Token::AnyString,
                        Token::AnyChar => Token::AnyChar,
                    };
                    length += 1;
                }
            }
            Part::Variable { .. } => {
                let Some(slot) = tokens.get_mut(length) else {
                    return Ok(None);
                };
                *slot = Token::Literal(values.next().and_then(Option::as_deref).unwrap_or(""));
                length += 1;
            }
        }
    }
    Ok(Some(match_tokens(
        &tokens[..length],
        value.as_bytes(),
        fold,
    )))
}

/// [`matches_inline`] for patterns too long for its buffers.
fn matches_allocating(
    parts: &[Part],
    value: &str,
    fold: bool,
    variables: &dyn Variables,
) -> Result<bool, Unresolved> {
    let resolved = resolve_all(parts, variables)?;
    let mut values = resolved.iter();
    let mut tokens: Vec<Token<&str>> = Vec::with_capacity(parts.len() * 2);
    for part in parts {
        match part {
            Part::Tokens(list) => tokens.extend(list.iter().map(|token| match token {
                Token::Literal(text) => Token::Literal(text.as_str()),
                Token::AnyString => Token::AnyString,
                Token::AnyChar => Token::AnyChar,
            })),
            Part::Variable { .. } => {
                tokens.push(Token::Literal(values.next().map_or("", AsRef::as_ref)));
            }
        }
    }
    Ok(match_tokens(&tokens, value.as_bytes(), fold))
}

fn resolve_all<'v>(
    parts: &'v [Part],
    variables: &'v dyn Variables,
) -> Result<Vec<Cow<'v, str>>, Unresolved> {
    parts
        .iter()
        .filter_map(|part| match part {
            Part::Variable { key, default } => Some(
                variables
                    .variable(key)
                    .or_else(|| default.as_deref().map(Cow::Borrowed))
                    .ok_or(Unresolved),
            ),
            Part::Tokens(_) => None,
        })
        .collect()
}

fn glob_text(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|token| match token {
            Token::Literal(text) => text.as_str(),
            Token::AnyString => "*",
            Token::AnyChar => "?",
        })
        .collect()
}

/// An ARN pattern: each of the six colon-separated parts matched on its own; the last
/// part takes the rest of the ARN, colons included. When the parts before the last
/// are plain text, the whole ARN is matched as one pattern, which is equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnMatcher {
    Whole(Matcher),
    Parts(Box<[Matcher]>),
}

impl ArnMatcher {
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        let template = Template::parse(text, variables);
        let parts: Vec<Matcher> = template
            .split_arn(6)
            .iter()
            .map(|part| Matcher::new(part, true))
            .collect();
        let leading_literal = parts[..parts.len().saturating_sub(1)]
            .iter()
            .all(|part| matches!(part, Matcher::Static(glob) if glob.literal().is_some()));
        if leading_literal {
            Self::Whole(Matcher::new(&template, true))
        } else {
            Self::Parts(parts.into_boxed_slice())
        }
    }

    pub(crate) fn matches(&self, arn: &str, variables: &dyn Variables) -> Result<bool, Unresolved> {
        let parts = match self {
            Self::Whole(matcher) => return matcher.matches(arn, false, variables),
            Self::Parts(parts) => parts,
        };
        let mut pieces = arn.splitn(parts.len(), ':');
        for part in parts {
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
        fn variable(&self, key: &str) -> Option<Cow<'_, str>> {
            (key == "aws:username").then_some(Cow::Borrowed("bob"))
        }
    }

    #[test]
    fn substitutes_variables_and_defaults() {
        let matcher = Matcher::new(
            &Template::parse(
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
    fn long_patterns_match_like_short_ones() {
        let short = Matcher::new(&Template::parse("a/${aws:username}/*", true), true);
        assert_eq!(short.matches("a/bob/x", false, &Fixed), Ok(true));
        let many = "${aws:username}/".repeat(12);
        let long = Matcher::new(&Template::parse(&format!("{many}*"), true), true);
        assert_eq!(
            long.matches(&format!("{}x", "bob/".repeat(12)), false, &Fixed),
            Ok(true)
        );
        assert_eq!(long.matches(&"bob/".repeat(11), false, &Fixed), Ok(false));
        let Matcher::Dynamic(parts) = &long else {
            panic!("not dynamic");
        };
        assert_eq!(matches_inline(parts, "bob/", false, &Fixed), Ok(None));
    }

    #[test]
    fn escapes_are_literal_characters() {
        let matcher = Matcher::new(&Template::parse("a${*}b${?}${$}", true), true);
        assert_eq!(matcher.matches("a*b?$", false, &Fixed), Ok(true));
        assert_eq!(matcher.matches("axb?$", false, &Fixed), Ok(false));
    }

    #[test]
    fn missing_variable_without_default_is_unresolved() {
        let matcher = Matcher::new(&Template::parse("${aws:userid}", true), false);
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
