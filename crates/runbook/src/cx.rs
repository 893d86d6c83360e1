//! What the step kinds build with: the context [`Cx`] (the plan, the options, the files
//! and marks added so far), which renders the plan's values as shell words, and
//! [`Line`], one aws CLI command line. Below the step kinds' functions, the verify's
//! and the walk over the steps in `build`, which all use it.

use awslab_planner::template::{Reference, Template};
use awslab_planner::values::Document;
use awslab_planner::{SealedPlan, Step, StepId, StepKind};

use crate::model::{Capture, Command, File, Undo};
use crate::words::{Piece, Word, single_quoted, var_name};

/// How the runbook is made.
#[derive(Debug, Clone)]
pub struct Options {
    /// The run id `${run.id}` stands for (names derive from it, as `up` names them).
    pub run_id: String,
    /// `${run.region}` and every command's region.
    pub region: String,
    /// The endpoint (`awslab sandbox serve`, moto, `LocalStack`); `None` for real AWS.
    pub endpoint_url: Option<String>,
    /// The operator's AWS CLI profile.
    pub profile: Option<String>,
    /// The target is awslab's sandbox: tokens and SAML responses come from `awslab
    /// sandbox token` and `awslab sandbox saml`.
    pub sandbox: bool,
}

/// The most nested variable references followed (the planner bounds them too).
const MAX_DEPTH: usize = 16;

/// What one step contributes.
#[derive(Default)]
pub(crate) struct Parts {
    pub commands: Vec<Command>,
    pub undo: Vec<Undo>,
    pub notes: Vec<String>,
    pub claim: Option<crate::model::Claim>,
}

/// The building context: the plan, the options, and what the steps add as they go.
pub(crate) struct Cx<'a> {
    pub sealed: &'a SealedPlan,
    pub options: &'a Options,
    pub files: Vec<File>,
    pub needs_account_id: bool,
    marks: usize,
}

impl<'a> Cx<'a> {
    /// A context with no files or marks yet.
    pub fn new(sealed: &'a SealedPlan, options: &'a Options) -> Cx<'a> {
        Cx {
            sealed,
            options,
            files: Vec::new(),
            needs_account_id: false,
            marks: 0,
        }
    }
}

impl Cx<'_> {
    /// The value of a plan text as a shell word.
    pub fn word(&mut self, text: &str) -> Word {
        let mut out = Vec::new();
        self.pieces(text, 0, &mut out);
        Word(merge(out))
    }

    fn pieces(&mut self, text: &str, depth: usize, out: &mut Vec<Piece>) {
        let Ok(template) = Template::parse(text) else {
            out.push(Piece::Text(text.to_owned()));
            return;
        };
        for part in &template.parts {
            match part {
                awslab_planner::template::Part::Literal(text) => {
                    out.push(Piece::Text(text.clone()));
                }
                awslab_planner::template::Part::Ref { reference, .. } => {
                    self.reference(reference, depth, out);
                }
            }
        }
    }

    fn reference(&mut self, reference: &Reference, depth: usize, out: &mut Vec<Piece>) {
        match reference {
            Reference::Var(name) => {
                if self.sealed.plan.secrets.contains(name) {
                    out.push(Piece::Secret(name.clone()));
                } else if let Some(value) = self.sealed.plan.vars.get(name)
                    && depth < MAX_DEPTH
                {
                    let value = value.value.clone();
                    self.pieces(&value, depth + 1, out);
                } else {
                    out.push(Piece::Text(format!("${{vars.{name}}}")));
                }
            }
            Reference::RunId => out.push(Piece::Text(self.options.run_id.clone())),
            Reference::RunRegion => out.push(Piece::Text(self.options.region.clone())),
            Reference::AccountId => {
                self.needs_account_id = true;
                out.push(Piece::Var("ACCOUNT_ID".into()));
            }
            Reference::AccountIdOf(name) => {
                if self.sealed.plan.accounts.get_index_of(name) == Some(0) {
                    self.needs_account_id = true;
                    out.push(Piece::Var("ACCOUNT_ID".into()));
                } else {
                    out.push(Piece::Var(var_name(&["account", name, "id"])));
                }
            }
            Reference::Step { step, path } => {
                if let Some(echo) = self.echo(step, path)
                    && depth < MAX_DEPTH
                {
                    self.pieces(&echo, depth + 1, out);
                } else {
                    let mut parts = vec![step.as_str()];
                    parts.extend(path.iter().map(String::as_str));
                    out.push(Piece::Var(var_name(&parts)));
                }
            }
        }
    }

    /// The text an output repeats from the step's own fields (a user's `name` is the
    /// name it was given), so that it is written as a value, not captured.
    fn echo(&self, step: &str, path: &[String]) -> Option<String> {
        let step = self.sealed.step(&StepId::new(step))?;
        let [field] = path else {
            return None;
        };
        let text = |t: &awslab_planner::values::Text| Some(t.value.clone());
        match (&step.kind, field.as_str()) {
            (StepKind::IamUser(u), "name") => text(&u.name),
            (StepKind::IamAccessKey(k), "user") => text(&k.user),
            (StepKind::IamUserPolicy(p), "user") => text(&p.user),
            (StepKind::IamUserPolicy(p), "name") => text(&p.name),
            (StepKind::IamUserPolicyAttachment(p), "user") => text(&p.user),
            (StepKind::IamUserPolicyAttachment(p), "policy_arn") => text(&p.policy_arn),
            (StepKind::IamGroup(g), "name") => text(&g.name),
            (StepKind::IamGroupPolicy(p), "group") => text(&p.group),
            (StepKind::IamGroupPolicy(p), "name") => text(&p.name),
            (StepKind::IamGroupMembership(m), "group") => text(&m.group),
            (StepKind::IamGroupMembership(m), "user") => text(&m.user),
            (StepKind::IamRole(r), "name") => text(&r.name),
            (StepKind::IamRolePolicy(p), "role") => text(&p.role),
            (StepKind::IamRolePolicy(p), "name") => text(&p.name),
            (StepKind::IamRolePolicyAttachment(p), "role") => text(&p.role),
            (StepKind::IamRolePolicyAttachment(p), "policy_arn") => text(&p.policy_arn),
            (StepKind::IamPolicy(p), "name") => text(&p.name),
            (StepKind::IamTrustPolicy(t), "role") => text(&t.role),
            (StepKind::IamSamlProvider(p), "name") => text(&p.name),
            (StepKind::IamVirtualMfaDevice(d), "user") => text(&d.user),
            (StepKind::CfnStack(s), "name") => text(&s.name),
            (StepKind::S3Bucket(b), "name") => text(&b.name),
            (StepKind::S3Bucket(b), "arn") => Some(format!("arn:aws:s3:::{}", b.name.value)),
            (StepKind::S3Object(o), "bucket") => text(&o.bucket),
            (StepKind::S3Object(o), "key") => text(&o.key),
            (StepKind::AwsProfile(p), "name") => text(&p.name),
            _ => None,
        }
    }

    /// A plan text for people (a step's description, what it does): the values known
    /// now written out, the others as the shell variable the runbook keeps them in
    /// (`${account.id}` is `$ACCOUNT_ID`, `${user.arn}` is `$USER_ARN`).
    pub fn prose(&mut self, text: &str) -> String {
        let mut out = String::new();
        for piece in self.word(text).0 {
            match piece {
                Piece::Text(text) => out.push_str(&text),
                Piece::Var(name) => {
                    out.push('$');
                    out.push_str(&name);
                }
                Piece::Secret(name) => {
                    out.push('$');
                    out.push_str(&crate::words::secret_env(&name));
                }
            }
        }
        out
    }

    /// A JSON value with its strings rendered, as JSON text pieces (variables inside
    /// strings stay variables).
    pub fn json(&mut self, value: &serde_json::Value, pretty: bool) -> Word {
        // Strings are rendered with placeholders (private-use characters JSON leaves
        // as they are), serialized, then split back into pieces.
        let mut slots: Vec<Piece> = Vec::new();
        let marked = self.mark_json(value, &mut slots);
        let text = if pretty {
            serde_json::to_string_pretty(&marked)
        } else {
            serde_json::to_string(&marked)
        }
        .unwrap_or_default();
        let mut pieces = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find('\u{E000}') {
            pieces.push(Piece::Text(rest[..start].to_owned()));
            let after = &rest[start + '\u{E000}'.len_utf8()..];
            let Some(end) = after.find('\u{E001}') else {
                rest = after;
                break;
            };
            if let Some(slot) = after[..end]
                .parse::<usize>()
                .ok()
                .and_then(|i| slots.get(i))
            {
                pieces.push(slot.clone());
            }
            rest = &after[end + '\u{E001}'.len_utf8()..];
        }
        pieces.push(Piece::Text(rest.to_owned()));
        Word(merge(pieces))
    }

    fn mark_json(
        &mut self,
        value: &serde_json::Value,
        slots: &mut Vec<Piece>,
    ) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::String(s) => J::String(self.mark_text(s, slots)),
            J::Array(items) => J::Array(items.iter().map(|v| self.mark_json(v, slots)).collect()),
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| (self.mark_text(k, slots), self.mark_json(v, slots)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn mark_text(&mut self, text: &str, slots: &mut Vec<Piece>) -> String {
        let word = self.word(text);
        let mut out = String::new();
        for piece in word.0 {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                other => {
                    out.push('\u{E000}');
                    out.push_str(&slots.len().to_string());
                    out.push('\u{E001}');
                    slots.push(other);
                }
            }
        }
        out
    }

    /// A policy document as the argument of `--policy-document` and its kin:
    /// `file://policies/NAME.json` beside the script when every value is known now, else
    /// a file the script writes at run time into `$WORK` (a here-document that reads
    /// the captured variables, and secret variables from the environment).
    pub fn document(
        &mut self,
        name: &str,
        document: &Document,
        commands: &mut Vec<Command>,
    ) -> Word {
        let json = document.json().unwrap_or(serde_json::Value::Null);
        let word = self.json(&json, true);
        self.file_arg(&format!("policies/{name}.json"), &word, commands)
    }

    /// `file://PATH` of `contents`: beside the script when it is known now and holds no
    /// secret, else written by the script into `$WORK` at run time.
    pub fn file_arg(&mut self, path: &str, contents: &Word, commands: &mut Vec<Command>) -> Word {
        if let Some(text) = contents.literal() {
            let mut text = text;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            self.add_file(path, text);
            return Word::text(format!("file://{path}"));
        }
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let target = format!("$WORK/{file_name}");
        let mut body = contents.heredoc();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        commands.push(Command {
            line: format!("cat > \"{target}\" <<EOF\n{body}EOF"),
            captures: Vec::new(),
            marks: None,
        });
        Word(vec![
            Piece::Text("file://".into()),
            Piece::Var("WORK".into()),
            Piece::Text(format!("/{file_name}")),
        ])
    }

    /// Registers a file beside the script (a later one of the same path replaces it).
    pub fn add_file(&mut self, path: &str, contents: String) {
        self.files.retain(|f| f.path != path);
        self.files.push(File {
            path: path.to_owned(),
            contents,
        });
    }

    /// A fresh marker variable for a command that captures nothing.
    pub fn mark(&mut self, step: &Step) -> String {
        self.marks += 1;
        format!("DONE_{}_{}", var_name(&[step.id.as_str()]), self.marks)
    }

    /// The shell prefix of an identity's credential variables (`as: user` -> `USER`),
    /// `None` for the operator.
    pub fn identity(identity: Option<&awslab_planner::values::IdentityName>) -> Option<String> {
        identity
            .map(|i| i.value.as_str())
            .filter(|i| *i != awslab_planner::values::OPERATOR)
            .map(|i| var_name(&[i]))
    }
}

/// Adjacent text pieces joined, empty ones dropped.
fn merge(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for piece in pieces {
        match (out.last_mut(), piece) {
            (_, Piece::Text(t)) if t.is_empty() => {}
            (Some(Piece::Text(last)), Piece::Text(t)) => last.push_str(&t),
            (_, piece) => out.push(piece),
        }
    }
    out
}

/// Builds one aws CLI command line.
pub(crate) struct Line {
    words: Vec<String>,
}

impl Line {
    /// `aws SERVICE OPERATION`, as `identity` when it is a step's credentials.
    pub fn aws(identity: Option<&str>, service: &str, operation: &str) -> Line {
        let mut words = Vec::new();
        if let Some(prefix) = identity {
            words.push("as_identity".to_owned());
            words.push(prefix.to_owned());
        }
        words.extend(["aws".to_owned(), service.to_owned(), operation.to_owned()]);
        Line { words }
    }

    /// Any program's command line (`"$AWSLAB" sandbox token ...`).
    pub fn program(words: &[&str]) -> Line {
        Line {
            words: words.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    #[must_use]
    pub fn arg(mut self, flag: &str, value: &Word) -> Line {
        self.words.push(flag.to_owned());
        self.words.push(value.quoted());
        self
    }

    #[must_use]
    pub fn flag(mut self, flag: &str) -> Line {
        self.words.push(flag.to_owned());
        self
    }

    /// `--flag V1 V2 ...` (a list parameter).
    #[must_use]
    pub fn list(mut self, flag: &str, values: &[Word]) -> Line {
        if values.is_empty() {
            return self;
        }
        self.words.push(flag.to_owned());
        self.words.extend(values.iter().map(Word::quoted));
        self
    }

    /// The line as text.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// The command, capturing nothing.
    pub fn run(self) -> Command {
        Command {
            line: self.text(),
            captures: Vec::new(),
            marks: None,
        }
    }

    /// The command, marking `mark` once it succeeded.
    pub fn marking(self, mark: String) -> Command {
        Command {
            line: self.text(),
            captures: Vec::new(),
            marks: Some(mark),
        }
    }

    /// The command with `--query ... --output text`, read into variables.
    pub fn capture(self, captures: Vec<Capture>) -> Command {
        let line = self.text();
        match captures.as_slice() {
            [] => Command {
                line,
                captures,
                marks: None,
            },
            [one] => Command {
                line: format!(
                    "{}=$({line} --query {} --output text)",
                    one.var,
                    single_quoted(&one.query)
                ),
                captures,
                marks: None,
            },
            many => {
                let query = format!(
                    "[{}]",
                    many.iter()
                        .map(|c| c.query.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let vars: Vec<&str> = many.iter().map(|c| c.var.as_str()).collect();
                Command {
                    line: format!(
                        "OUT=$({line} --query {} --output text)\nread -r {} <<<\"$OUT\"",
                        single_quoted(&query),
                        vars.join(" ")
                    ),
                    captures,
                    marks: None,
                }
            }
        }
    }
}

/// A capture of `query` into `step`'s output variable `field`.
pub(crate) fn capture(step: &Step, field: &str, query: &str) -> Capture {
    let secret = matches!(field, "secret_access_key" | "session_token");
    Capture {
        var: var_name(&[step.id.as_str(), field]),
        query: query.to_owned(),
        secret,
    }
}

/// A cleanup command guarded by `guard`.
pub(crate) fn undo(step: &Step, line: &Line, guard: &str) -> Undo {
    Undo {
        step: step.id.to_string(),
        line: line.text(),
        guard: guard.to_owned(),
    }
}
