//! Shell words made of literal text and shell variables, quoted for bash; the names of
//! the variables that hold step outputs; and the aws CLI's names for operations and
//! parameters (botocore's `xform_name`).

use std::sync::LazyLock;

use regex::Regex;

/// One piece of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text, quoted as needed.
    Text(String),
    /// A shell variable set earlier in the runbook (`$USER_ARN`).
    Var(String),
    /// A secret plan variable, read from the environment at run time
    /// (`AWSLAB_VAR_NAME`); its value is never written into the runbook.
    Secret(String),
}

/// A shell word: pieces concatenated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word(pub Vec<Piece>);

impl Word {
    pub fn text(text: impl Into<String>) -> Word {
        Word(vec![Piece::Text(text.into())])
    }

    pub fn var(name: impl Into<String>) -> Word {
        Word(vec![Piece::Var(name.into())])
    }

    /// This word followed by `other`.
    #[must_use]
    pub fn then(mut self, other: Word) -> Word {
        self.0.extend(other.0);
        self
    }

    /// The literal text, when the word has no variables.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(_) | Piece::Secret(_) => return None,
            }
        }
        Some(out)
    }

    /// True when the word reads a secret variable.
    pub fn has_secret(&self) -> bool {
        self.0.iter().any(|p| matches!(p, Piece::Secret(_)))
    }

    /// The word as one bash word: bare when it is plain text of safe characters,
    /// else double-quoted with `$`, `` ` ``, `"` and `\` escaped.
    pub fn quoted(&self) -> String {
        if let Some(text) = self.literal()
            && !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c))
        {
            return text;
        }
        let mut out = String::from("\"");
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => {
                    for c in text.chars() {
                        if matches!(c, '$' | '`' | '"' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
                Piece::Var(name) => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
                Piece::Secret(name) => out.push_str(&secret_expansion(name)),
            }
        }
        out.push('"');
        out
    }

    /// The word as the body of an unquoted here-document: variables expand, literal
    /// `$`, `` ` `` and `\` are escaped.
    pub fn heredoc(&self) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => {
                    for c in text.chars() {
                        if matches!(c, '$' | '`' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
                Piece::Var(name) => {
                    out.push_str("${");
                    out.push_str(name);
                    out.push('}');
                }
                Piece::Secret(name) => out.push_str(&secret_expansion(name)),
            }
        }
        out
    }
}

/// The environment variable a secret plan variable is read from.
pub fn secret_env(name: &str) -> String {
    format!("AWSLAB_VAR_{}", var_name(&[name]))
}

/// `${AWSLAB_VAR_NAME:?...}`: the secret's value, or a stop saying what to set.
fn secret_expansion(name: &str) -> String {
    let env = secret_env(name);
    format!("${{{env}:?set {env} to the secret variable {name}}}")
}

/// Single-quotes `text` for bash.
pub fn single_quoted(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Names the runbook keeps for itself; a step output never takes them.
const RESERVED: &[&str] = &[
    "WORK",
    "REGION",
    "AWSLAB",
    "OUT",
    "FAILED",
    "ACCOUNT_ID",
    "PATH",
    "HOME",
    "IFS",
];

/// The shell variable for `parts` joined (`user`, `arn` -> `USER_ARN`): letters and
/// digits upper-cased, anything else `_`; prefixed `S_` where it would start with a
/// digit, clash with awslab's own names or with the AWS CLI's (`AWS_*`).
pub fn var_name(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('_');
        }
        for c in part.chars() {
            out.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            });
        }
    }
    if out.is_empty()
        || out.starts_with(|c: char| c.is_ascii_digit())
        || out.starts_with("AWS")
        || out.starts_with("AWSLAB")
        || out.starts_with("DONE_")
        || RESERVED.contains(&out.as_str())
    {
        out.insert_str(0, "S_");
    }
    out
}

static SPECIAL: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new("[A-Z]{2,}s$").ok());
static FIRST_CAP: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new("(.)([A-Z][a-z]+)").ok());
static END_CAP: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new("([a-z0-9])([A-Z])").ok());

/// The aws CLI's name for an operation or a parameter (`ListObjectsV2` ->
/// `list-objects-v2`, `SAMLAssertion` -> `saml-assertion`), as botocore's
/// `xform_name(name, '-')` makes it.
pub fn cli_name(name: &str) -> String {
    if name.contains('-') {
        return name.to_owned();
    }
    let (Some(special), Some(first), Some(end)) = (&*SPECIAL, &*FIRST_CAP, &*END_CAP) else {
        return name.to_ascii_lowercase();
    };
    let mut name = name.to_owned();
    if let Some(m) = special.find(&name) {
        let matched = m.as_str().to_ascii_lowercase();
        name = format!("{}-{matched}", &name[..m.start()]);
    }
    let s1 = first.replace_all(&name, "${1}-${2}");
    end.replace_all(&s1, "${1}-${2}").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_operations_as_botocore_does() {
        for (name, cli) in [
            ("ListObjectsV2", "list-objects-v2"),
            ("GetSAMLProvider", "get-saml-provider"),
            (
                "CreateOpenIDConnectProvider",
                "create-open-id-connect-provider",
            ),
            ("AssumeRoleWithSAML", "assume-role-with-saml"),
            ("SAMLAssertion", "saml-assertion"),
            ("MFADevices", "mfa-devices"),
            ("GetCallerIdentity", "get-caller-identity"),
            ("ExpectedBucketOwner", "expected-bucket-owner"),
        ] {
            assert_eq!(cli_name(name), cli, "{name}");
        }
    }

    #[test]
    fn quotes_words_for_bash() {
        assert_eq!(Word::text("sts-lab-user").quoted(), "sts-lab-user");
        assert_eq!(
            Word::text("arn:").then(Word::var("X")).quoted(),
            "\"arn:${X}\""
        );
        assert_eq!(Word::text("a $b \"c\"").quoted(), r#""a \$b \"c\"""#);
        assert_eq!(single_quoted("it's"), r"'it'\''s'");
    }

    #[test]
    fn names_variables_safely() {
        assert_eq!(var_name(&["user", "arn"]), "USER_ARN");
        assert_eq!(var_name(&["team[red]", "arn"]), "TEAM_RED__ARN");
        assert_eq!(var_name(&["aws", "access_key_id"]), "S_AWS_ACCESS_KEY_ID");
        assert_eq!(var_name(&["work"]), "S_WORK");
    }
}
