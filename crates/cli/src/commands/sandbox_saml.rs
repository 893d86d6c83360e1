//! `awslab sandbox saml`: a signed SAML response from the sandbox's own SAML identity
//! provider, for a subject and a role/provider pair, printed base64 for
//! `aws sts assume-role-with-saml --saml-assertion`; or (`--metadata`) the identity
//! provider's metadata document, for `aws iam create-saml-provider`.

use awslab_sandbox::SamlRequest;

use super::sandbox::open;
use crate::cli::sandbox::SamlArgs;
use crate::exit::{Failure, OrFail as _, Status};

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
