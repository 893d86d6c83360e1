//! Errors of the sandbox as a library (opening its state, serving); AWS errors
//! answered to clients are `services::ApiError`, not these.

use crate::state::StoreError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SandboxError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] StoreError),
    #[error("the sandbox could not listen on 127.0.0.1:{port}: {source}")]
    #[diagnostic(
        code(sandbox::listen),
        help("choose another port with `--port`, or stop what uses this one")
    )]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox hosts no account `{0}`")]
    #[diagnostic(
        code(sandbox::no_account),
        help("`awslab sandbox status` lists the accounts")
    )]
    NoAccount(String),
    #[error("the sandbox's SAML identity provider {0}")]
    #[diagnostic(code(sandbox::saml))]
    Saml(String),
}
