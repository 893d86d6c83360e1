//! `awslab doctor` and `awslab doctor oidc`: their arguments and help text (the
//! commands are in `commands/doctor.rs` and `commands/doctor_oidc.rs`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::TargetArgs;

/// `awslab doctor --help`, after the options.
pub const AFTER_HELP: &str = "\
Examples:
  awslab doctor                          # the target `up` would use
  awslab doctor --target aws --profile lab-admin --account 111122223333
  awslab doctor oidc --role-arn arn:aws:iam::111122223333:role/awslab-ci --token-file token.jwt

Checks: credentials (found, where from, accepted by sts:GetCallerIdentity), region,
account (with --account: the caller's must match), clock skew (this machine's clock
against the target's `Date` header; AWS refuses requests more than 15 minutes off), and
whether IAM, STS, S3 and CloudFormation answer. Secrets are never printed.

Exit status: 0 when no check fails (warnings allowed); 4 when a check fails: the target
cannot be reached, refuses the credentials, is another account than --account, or its
clock is too far off; 2 when the command line is invalid.";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DoctorArgs {
    #[command(subcommand)]
    pub command: Option<DoctorCommand>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// The account the operator must be in (12 digits): a check fails otherwise.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub account: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DoctorCommand {
    /// Explain whether a web identity token (a CI job's OIDC token) may assume a role.
    #[command(after_help = OIDC_AFTER_HELP)]
    Oidc(OidcArgs),
}

#[derive(Debug, Args)]
pub struct OidcArgs {
    /// The role the token should assume.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// A file holding the token (a JWT; never printed).
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,
    /// The session name the job would give (`sts:RoleSessionName`).
    #[arg(long, value_name = "NAME", default_value = "awslab-doctor")]
    pub session_name: String,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `--account`: twelve digits.
pub fn parse_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not an account id: write its 12 digits"
        ))
    }
}

/// `awslab doctor oidc --help`, after the options.
pub const OIDC_AFTER_HELP: &str = "\
Example:
  awslab doctor oidc --role-arn arn:aws:iam::111122223333:role/awslab-ci --token-file token.jwt

The token's claims are decoded, not verified (AWS checks the signature against the
issuer's keys; doctor does not fetch them). AWS sets these keys from an OIDC token, for
the issuer `token.actions.githubusercontent.com`: `...:sub`, `...:aud` (the `azp`
claim when the token has one, else `aud`), `...:oaud` (the `aud` claim when `azp` is
set) and `...:amr`; custom claims are not available to trust policies.

Exit status: 0 when the token may assume the role; 1 when it may not (each failing
check is named); 2 when the role ARN or the token file is invalid; 4 when the target
cannot be reached or refuses the operator's credentials.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(parse_account("111122223333").is_ok());
        assert!(parse_account("1111").is_err());
        assert!(parse_account("11112222333a").is_err());
    }
}
