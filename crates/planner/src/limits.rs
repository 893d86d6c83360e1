//! Budgets: every quantity a plan can make grow has a bound, and crossing it is a
//! located `plan::budget` error found in milliseconds, never a hang or unbounded
//! memory. Also the AWS limits on what a plan may name, and the shortening of user
//! text echoed in messages (a 1 MB bad value is quoted as its first characters).

/// The largest plan file read, in bytes. Plans are hand-written; the largest seed
/// plan is under 10 KiB.
pub const MAX_PLAN_BYTES: usize = 1024 * 1024;
/// YAML nodes (scalars, maps, lists) after alias expansion.
pub const MAX_NODES: usize = 20_000;
/// Bytes of scalar text (keys and values) in a plan after alias expansion: four times
/// the largest plan, so only an alias bomb reaches it (the largest seed plan is under
/// 10 KiB and repeats nothing).
pub const MAX_EXPANDED_BYTES: usize = 4 * MAX_PLAN_BYTES;
/// Nesting of maps and lists.
pub const MAX_DEPTH: usize = 32;
/// Steps in one plan.
pub const MAX_STEPS: usize = 500;
/// Variables in one plan.
pub const MAX_VARS: usize = 500;
/// The length in bytes of any value once its variables are expanded.
pub const MAX_RENDERED_BYTES: usize = 64 * 1024;
/// The bytes every step value renders to, added up. Checks render whole values (a
/// policy document at once), so a 270 KB plan repeating a 60 KB variable in 15,000
/// values would make them build gigabytes; four times the largest plan is far above
/// any lab (every policy quota of IAM and S3 is under 21 KB).
pub const MAX_PLAN_RENDERED_BYTES: usize = 4 * MAX_PLAN_BYTES;
/// `${...}` substitutions needed to expand one value, counting nested variables as
/// often as they are expanded.
pub const MAX_SUBSTITUTIONS: u64 = 10_000;
/// Variables referring to variables, at most this deep.
pub const MAX_VAR_DEPTH: usize = 32;
/// Fragments including fragments (`include:`), at most this deep.
pub const MAX_INCLUDE_DEPTH: usize = 4;
/// Fragment files read for one plan, counting a fragment each time it is read (a
/// nested fragment is read when its parent is checked alone and when it is copied in):
/// each read is bounded by the plan budgets, so a plan cannot make awslab parse
/// gigabytes by including one large fragment thousands of times.
pub const MAX_INCLUDE_READS: usize = 200;
/// The longest `--var` value.
pub const MAX_OVERRIDE_BYTES: usize = 64 * 1024;
/// The longest key or step name in a plan (AWS names are at most 128 to 1,224
/// characters; parameter names and tag keys at most 255).
pub const MAX_KEY_CHARS: usize = 1_024;
/// A `CloudFormation` template sent as `TemplateBody`: "Maximum size: 51,200 bytes"
/// (`CreateStack`, <https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html>).
pub const MAX_TEMPLATE_BYTES: u64 = 51_200;
/// Bytes of scalar text in a `CloudFormation` template after alias expansion: four
/// times the largest template `CloudFormation` reads (1 MB from S3), the sandbox's
/// own bound too, so no real template reaches it.
pub const MAX_TEMPLATE_EXPANDED_BYTES: u64 = 4 * 1024 * 1024;
/// YAML nodes in a template after alias expansion (the sandbox's bound).
pub const MAX_TEMPLATE_NODES: u64 = 200_000;
/// Nesting of a template's maps and lists after alias expansion (the sandbox's bound).
pub const MAX_TEMPLATE_DEPTH: usize = 100;
/// An `s3.object` file. S3 accepts up to 5 GB in one `PutObject`; a lab object is
/// small (the executor streams it from disk in one request), so awslab keeps a lower,
/// documented bound (`docs/plan-format.md`).
pub const MAX_OBJECT_BYTES: u64 = 100 * 1024 * 1024;
/// A web identity token: `AssumeRoleWithWebIdentity`'s `WebIdentityToken` has 4..20,000
/// characters.
pub const MAX_TOKEN_BYTES: u64 = 20_000;
/// A SAML response: `AssumeRoleWithSAML`'s `SAMLAssertion` has 4..100,000 characters.
pub const MAX_SAML_ASSERTION_BYTES: u64 = 100_000;
/// A SAML metadata document: `CreateSAMLProvider`'s `SAMLMetadataDocument` has
/// 1,000..10,000,000 characters.
pub const MAX_SAML_METADATA_BYTES: u64 = 10_000_000;

/// How many characters of user text a message quotes before cutting it with `…`.
pub const ECHO_CHARS: usize = 200;

/// `text`, cut to [`ECHO_CHARS`] characters with `…` and its full length when longer.
pub fn shorten(text: &str) -> String {
    shorten_to(text, ECHO_CHARS)
}

fn shorten_to(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
    }
}

/// A message with every backticked quotation longer than [`ECHO_CHARS`] shortened,
/// and the whole cut to a few thousand characters: messages quote user text, and a
/// hostile plan's text can be megabytes.
pub fn shorten_message(message: &str) -> String {
    if message.len() <= ECHO_CHARS * 2 {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len().min(4 * ECHO_CHARS));
    for (index, part) in message.split('`').enumerate() {
        if index > 0 {
            out.push('`');
        }
        if index % 2 == 1 {
            out.push_str(&shorten(part));
        } else {
            out.push_str(&shorten_to(part, ECHO_CHARS * 4));
        }
    }
    shorten_to(&out, ECHO_CHARS * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_quotations_only() {
        assert_eq!(shorten("abc"), "abc");
        let long = "x".repeat(70_000);
        let short = shorten(&long);
        assert!(short.starts_with(&"x".repeat(ECHO_CHARS)));
        assert!(short.ends_with("… (70000 characters)"), "{short}");
        let message = format!("step `{long}` is bad");
        let shortened = shorten_message(&message);
        assert!(shortened.len() < 400, "{}", shortened.len());
        assert!(shortened.ends_with("` is bad"));
    }

    #[test]
    fn counts_characters_not_bytes() {
        let text = "é".repeat(ECHO_CHARS + 1);
        assert!(shorten(&text).starts_with(&"é".repeat(ECHO_CHARS)));
    }
}
