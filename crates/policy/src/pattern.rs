//! Wildcard patterns as IAM matches them: `*` (any run of characters, possibly empty)
//! and `?` (exactly one character), compiled once into literal runs so matching needs
//! no regex and no allocation. ARN patterns match each colon-separated part separately.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<S = String> {
    Literal(S),
    AnyString,
    AnyChar,
}

/// A compiled wildcard pattern, with fast paths for the common shapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// `*`: matches everything.
    Any,
    /// No wildcards.
    Exact(Box<str>),
    /// A literal followed by a single trailing `*`.
    Prefix(Box<str>),
    /// Anything else.
    Tokens(Box<[Token]>),
}

impl Glob {
    /// Compiles `text` where `*` and `?` are wildcards.
    pub(crate) fn wildcard(text: &str) -> Self {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        for character in text.chars() {
            match character {
                '*' | '?' => {
                    if !literal.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut literal)));
                    }
                    tokens.push(if character == '*' {
                        Token::AnyString
                    } else {
                        Token::AnyChar
                    });
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Self::from_tokens(tokens)
    }

    /// Builds a pattern from tokens, merging adjacent literals and repeated `*`.
    pub(crate) fn from_tokens(tokens: Vec<Token>) -> Self {
        let mut merged: Vec<Token> = Vec::with_capacity(tokens.len());
        for token in tokens {
            match (merged.last_mut(), token) {
                (Some(Token::Literal(previous)), Token::Literal(next)) => previous.push_str(&next),
                (Some(Token::AnyString), Token::AnyString) => {}
                (_, Token::Literal(next)) if next.is_empty() => {}
                (_, token) => merged.push(token),
            }
        }
        match merged.as_slice() {
            [] => Self::Exact("".into()),
            [Token::AnyString] => Self::Any,
            [Token::Literal(literal)] => Self::Exact(literal.as_str().into()),
            [Token::Literal(literal), Token::AnyString] => Self::Prefix(literal.as_str().into()),
            _ => Self::Tokens(merged.into_boxed_slice()),
        }
    }

    /// The literal text before the first wildcard.
    pub(crate) fn literal_prefix(&self) -> &str {
        match self {
            Self::Any => "",
            Self::Exact(literal) | Self::Prefix(literal) => literal,
            Self::Tokens(tokens) => match tokens.first() {
                Some(Token::Literal(literal)) => literal,
                _ => "",
            },
        }
    }

    /// The literal text, if the pattern has no wildcard.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self {
            Self::Exact(literal) => Some(literal),
            _ => None,
        }
    }

    /// Whether `value` matches; `fold` compares ASCII letters case-insensitively.
    pub(crate) fn matches(&self, value: &str, fold: bool) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(literal) => equal(value.as_bytes(), literal.as_bytes(), fold),
            Self::Prefix(literal) => {
                value.len() >= literal.len()
                    && equal(&value.as_bytes()[..literal.len()], literal.as_bytes(), fold)
            }
            Self::Tokens(tokens) => match_tokens(tokens, value.as_bytes(), fold),
        }
    }
}

#[inline]
fn equal(left: &[u8], right: &[u8], fold: bool) -> bool {
    if fold {
        left.eq_ignore_ascii_case(right)
    } else {
        left == right
    }
}

/// Byte equality for the short strings of policies (actions, ARNs), compared eight
/// bytes at a time from the end: ARNs share their head (`arn:aws:s3:::`), so a
/// difference usually shows in the first word compared, and this avoids a `memcmp`
/// call per comparison, which dominated the profile.
#[inline]
pub(crate) fn bytes_equal(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    let mut end = left.len();
    while end >= 8 {
        let (Ok(a), Ok(b)) = (
            <[u8; 8]>::try_from(&left[end - 8..end]),
            <[u8; 8]>::try_from(&right[end - 8..end]),
        ) else {
            return false;
        };
        if u64::from_ne_bytes(a) != u64::from_ne_bytes(b) {
            return false;
        }
        end -= 8;
    }
    left[..end].iter().zip(&right[..end]).all(|(a, b)| a == b)
}

fn char_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Glob matching with backtracking to the last `*` only, which is exact for patterns
/// made of literals, `*` and `?`.
pub(crate) fn match_tokens<S: AsRef<str>>(tokens: &[Token<S>], value: &[u8], fold: bool) -> bool {
    let (mut token, mut position) = (0usize, 0usize);
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if let Some(current) = tokens.get(token) {
            match current {
                Token::AnyString => {
                    resume = Some((token + 1, position));
                    token += 1;
                    continue;
                }
                Token::AnyChar if position < value.len() => {
                    position += char_len(value[position]);
                    token += 1;
                    continue;
                }
                Token::Literal(literal)
                    if value.len() - position >= literal.as_ref().len()
                        && equal(
                            &value[position..position + literal.as_ref().len()],
                            literal.as_ref().as_bytes(),
                            fold,
                        ) =>
                {
                    position += literal.as_ref().len();
                    token += 1;
                    continue;
                }
                _ => {}
            }
        } else if position == value.len() {
            return true;
        }
        match resume {
            Some((after_star, start)) if start < value.len() => {
                let next = start + char_len(value[start]);
                resume = Some((after_star, next));
                token = after_star;
                position = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_any_run_including_empty() {
        let glob = Glob::wildcard("arn:aws:s3:::bucket/*");
        assert!(glob.matches("arn:aws:s3:::bucket/", false));
        assert!(glob.matches("arn:aws:s3:::bucket/a/b/c", false));
        assert!(!glob.matches("arn:aws:s3:::bucket", false));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        let glob = Glob::wildcard("a?c");
        assert!(glob.matches("abc", false));
        assert!(glob.matches("aéc", false));
        assert!(!glob.matches("ac", false));
        assert!(!glob.matches("abbc", false));
    }

    #[test]
    fn backtracks_over_several_stars() {
        let glob = Glob::wildcard("*a*b?c*");
        assert!(glob.matches("xxaxxbyc", false));
        assert!(glob.matches("abxcabyc", false));
        assert!(!glob.matches("abc", false));
    }

    #[test]
    fn folds_ascii_case_only_when_asked() {
        let glob = Glob::wildcard("s3:get*");
        assert!(glob.matches("S3:GetObject", true));
        assert!(!glob.matches("S3:GetObject", false));
    }

    #[test]
    fn compares_bytes_of_every_length() {
        let text = b"arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt";
        for length in 0..text.len() {
            let left = &text[..length];
            assert!(bytes_equal(left, left));
            for position in 0..length {
                let mut changed = left.to_vec();
                changed[position] ^= 1;
                assert!(!bytes_equal(left, &changed), "{length} {position}");
            }
            assert!(!bytes_equal(left, &text[..=length]));
        }
    }

    #[test]
    fn literal_star_token_is_not_a_wildcard() {
        let glob = Glob::from_tokens(vec![Token::Literal("a*".into())]);
        assert!(glob.matches("a*", false));
        assert!(!glob.matches("ab", false));
    }
}
