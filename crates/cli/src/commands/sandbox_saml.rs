//! `awslab sandbox saml`: a signed SAML response from the sandbox's own SAML identity
//! provider, for a subject and a role/provider pair, printed base64 for
//! `aws sts assume-role-with-saml --saml-assertion`; or (`--metadata`) the identity
//! provider's metadata document, for `aws iam create-saml-provider`.

use awslab_sandbox::SamlRequest;
use clap::Args;

use super::sandbox::{SandboxStateArgs, open};
use crate::exit::{Failure, OrFail as _, Status};

pub const AFTER_HELP: &str = "Examples:\n  awslab sandbox saml --metadata > idp.xml\n  aws iam create-saml-provider --name SandboxIdP --saml-metadata-document file://idp.xml\n  awslab sandbox saml --subject student \\\n      --role arn:aws:iam::111122223333:role/SamlLab \\\n      --provider arn:aws:iam::111122223333:saml-provider/SandboxIdP > response.b64\n  aws sts assume-role-with-saml --role-arn arn:aws:iam::111122223333:role/SamlLab \\\n      --principal-arn arn:aws:iam::111122223333:saml-provider/SandboxIdP \\\n      --saml-assertion file://response.b64\n\nThe identity provider is https://saml.awslab.localhost; its responses are for the\naudience https://signin.aws.amazon.com/saml, valid --seconds (300) on the sandbox clock.";

#[derive(Debug, Args)]
pub struct SamlArgs {
    /// Print the identity provider's metadata document instead of a response.
    #[arg(long, conflicts_with_all = ["subject", "role", "provider", "session_name", "audience"])]
    pub metadata: bool,
    /// The subject (`NameID`, persistent): who signed in.
    #[arg(long, required_unless_present = "metadata", value_name = "NAME")]
    pub subject: Option<String>,
    /// The role the response's `Role` attribute offers.
    #[arg(long, required_unless_present = "metadata", value_name = "ROLE_ARN")]
    pub role: Option<String>,
    /// The IAM SAML provider the role is paired with in the `Role` attribute.
    #[arg(
        long,
        required_unless_present = "metadata",
        value_name = "PROVIDER_ARN"
    )]
    pub provider: Option<String>,
    /// The `RoleSessionName` attribute (the session's name); the subject by default.
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
    /// The audience; AWS accepts only `https://signin.aws.amazon.com/saml` (the default).
    #[arg(long, value_name = "URI")]
    pub audience: Option<String>,
    /// How long the response is valid, in seconds (60..=3600).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i64).range(60..=3600))]
    pub seconds: i64,
    #[command(flatten)]
    pub state: SandboxStateArgs,
}

pub fn saml(args: &SamlArgs) -> Result<Status, Failure> {
    let sandbox = open(&args.state)?;
    if args.metadata {
        print!("{}", sandbox.saml_metadata().or_fail(Status::Invalid)?);
        return Ok(Status::Success);
    }
    let (Some(subject), Some(role), Some(provider)) = (&args.subject, &args.role, &args.provider)
    else {
        return Err(Failure::new(
            Status::Invalid,
            "a SAML response needs `--subject`, `--role` and `--provider`",
        ));
    };
    let response = sandbox
        .mint_saml(&SamlRequest {
            subject: subject.clone(),
            role_arn: role.clone(),
            provider_arn: provider.clone(),
            session_name: args.session_name.clone(),
            audience: args.audience.clone(),
            lifetime_seconds: args.seconds,
        })
        .or_fail(Status::Invalid)?;
    println!("{response}");
    Ok(Status::Success)
}
