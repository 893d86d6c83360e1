//! The runbook as data: sections (one a step, in run order) of commands, captures and
//! claims, the cleanup (teardown order) and the files that go beside the script. The
//! renderers (`sh` and `markdown`) only lay it out.

/// The command that reads the operator's account id, when a value needs it.
pub const ACCOUNT_ID: &str =
    "ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)";

/// A whole lab, ready to render.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// The plan's name.
    pub name: String,
    pub description: Option<String>,
    pub run_id: String,
    pub region: String,
    /// The endpoint every command goes to (`AWS_ENDPOINT_URL`), when not real AWS.
    pub endpoint_url: Option<String>,
    /// The operator's AWS CLI profile (`AWS_PROFILE`), if one was given.
    pub profile: Option<String>,
    /// True when the target is awslab's sandbox (tokens, SAML responses from `awslab`).
    pub sandbox: bool,
    /// Secret plan variables: read from `AWSLAB_VAR_<NAME>` at run time.
    pub secrets: Vec<String>,
    /// True when a command reads `$ACCOUNT_ID` (captured before the first step).
    pub needs_account_id: bool,
    /// Commands before the first step: the credentials and ids of the operators of the
    /// plan's other accounts.
    pub setup: Vec<String>,
    pub sections: Vec<Section>,
    /// What undoes the lab, in teardown order.
    pub cleanup: Vec<Undo>,
    /// Templates, policy documents and bodies written beside the script, by relative
    /// path (never holding a secret).
    pub files: Vec<File>,
}

impl Runbook {
    /// True when a command runs `awslab` (`$AWSLAB`): a sandbox token or SAML response.
    pub fn uses_awslab(&self) -> bool {
        self.sections
            .iter()
            .flat_map(|s| &s.commands)
            .any(|c| c.line.contains("\"$AWSLAB\""))
            || self.setup.iter().any(|l| l.contains("\"$AWSLAB\""))
    }
}

/// A file written beside the script and referenced as `file://PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the script's folder (`policies/may-assume.json`).
    pub path: String,
    pub contents: String,
}

/// One step of the plan.
#[derive(Debug, Clone)]
pub struct Section {
    /// The step's id in the plan.
    pub step: String,
    /// The step kind's label (`iam.user`).
    pub kind: String,
    /// The step's description, or what it does (the planner's words).
    pub description: String,
    /// What the step does when it has a description of its own too.
    pub action: String,
    /// Things to know: what to use on a real account where the sandbox helps.
    pub notes: Vec<String>,
    pub commands: Vec<Command>,
    /// The claim a `verify` step makes.
    pub claim: Option<Claim>,
}

/// One command line (or a here-document that writes a file).
#[derive(Debug, Clone)]
pub struct Command {
    /// The command as bash, one logical line (a here-document's lines follow it).
    pub line: String,
    /// Variables the command's output is read into, in `--query` order.
    pub captures: Vec<Capture>,
    /// A variable set to `1` once the command succeeded, guarding its cleanup; `None`
    /// when a capture guards it (or nothing needs undoing).
    pub marks: Option<String>,
}

/// One shell variable set from a command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub var: String,
    /// The `--query` path it is read from.
    pub query: String,
    /// True for secret keys, session tokens and tokens: never printed.
    pub secret: bool,
}

/// A verify: a command and the outcome it should have.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The claim in words (the step's description, or what it verifies).
    pub text: String,
    /// The call, without `--query`/`--output`.
    pub command: String,
    pub expected: Expected,
    /// For a call that makes something: the `--query` of the id its answer gives
    /// (`AccessKey.AccessKeyId`). The script keeps it in [`kept_var`] of the step
    /// (empty when the call made nothing), and the cleanup deletes by it.
    pub keep: Option<String>,
}

/// The variable the script keeps the id of what a claim's call made in.
pub fn kept_var(step: &str) -> String {
    format!("DONE_KEPT_{}", crate::words::var_name(&[step]))
}

/// The outcome a claim expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Exit status 0.
    Success,
    /// A non-zero exit status and one of these AWS error codes.
    Error(Vec<String>),
    /// Exit status 0, and these fields of the answer match these patterns.
    Fields(Vec<FieldCheck>),
}

/// One answer field to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCheck {
    /// The field as the plan names it (`Arn`).
    pub field: String,
    /// The `JMESPath` `--query` that reads it (`User.Arn`), or `file:PATH` for an
    /// object's body (read from the file `s3api get-object` writes).
    pub query: String,
    /// The bash glob the value must match, as a bash word (`*` and `?` unquoted).
    pub pattern: String,
    /// The pattern as the plan wrote it, for people.
    pub shown: String,
    /// True when the field holds a secret (its value is never printed).
    pub secret: bool,
}

/// One cleanup command.
#[derive(Debug, Clone)]
pub struct Undo {
    /// The step it undoes.
    pub step: String,
    /// The command as bash.
    pub line: String,
    /// The variable that is set once what this undoes was made (the script skips the
    /// command otherwise).
    pub guard: String,
}
