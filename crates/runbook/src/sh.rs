//! The runbook as a bash script: it runs the lab with the aws CLI under `set -euo
//! pipefail`, checks each claim without dying on an expected denial (exit status and
//! AWS error code), prints one `PASS`/`FAIL` line a claim, and cleans up from an `EXIT`
//! trap (so also when a command fails or the script is interrupted), in teardown order,
//! undoing only what it made. Exit status: 0 when every claim held, 1 when one failed,
//! 3 when cleanup left something, else the failed command's.

use std::fmt::Write as _;

use crate::model::{Expected, Runbook};
use crate::words::{secret_env, single_quoted};

/// How the script finds the files that go beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// They are written beside the script (`awslab export --out DIR`).
    Beside,
    /// The script writes them into its private folder first (one file on stdout).
    Inline,
}

/// The helper functions both the script and the markdown's commands use.
pub const HELPERS: &str = r#"# as_identity PREFIX CMD...: runs CMD with the credentials a step captured into
# PREFIX_ACCESS_KEY_ID, PREFIX_SECRET_ACCESS_KEY (and PREFIX_SESSION_TOKEN).
as_identity() {
  local prefix=$1 key secret token
  shift
  key="${prefix}_ACCESS_KEY_ID" secret="${prefix}_SECRET_ACCESS_KEY" token="${prefix}_SESSION_TOKEN"
  if [[ -n "${!token:-}" ]]; then
    env -u AWS_PROFILE AWS_ACCESS_KEY_ID="${!key}" AWS_SECRET_ACCESS_KEY="${!secret}" AWS_SESSION_TOKEN="${!token}" "$@"
  else
    env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="${!key}" AWS_SECRET_ACCESS_KEY="${!secret}" "$@"
  fi
}

# wait_for_credentials PREFIX: waits until AWS accepts new credentials (IAM takes
# seconds to propagate a new key on a real account), up to about two minutes.
wait_for_credentials() {
  local attempt
  for ((attempt = 1; attempt <= 30; attempt++)); do
    if as_identity "$1" aws sts get-caller-identity >/dev/null 2>&1; then
      return 0
    fi
    sleep $((attempt < 5 ? attempt : 5))
  done
  echo "the credentials of $1 were not accepted within two minutes" >&2
  return 1
}

# totp SEED_FILE [STEPS...]: the RFC 6238 codes of a virtual MFA device's seed, now
# (or STEPS 30-second steps from now; several are computed at one instant), as an
# authenticator app shows them, separated by spaces.
totp() {
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, struct, sys, time
seed = open(sys.argv[1]).read().strip()
key = base64.b32decode(seed + "=" * (-len(seed) % 8), casefold=True)
now = int(time.time()) // 30
codes = []
for offset in sys.argv[2:] or ["0"]:
    digest = hmac.new(key, struct.pack(">Q", now + int(offset)), hashlib.sha1).digest()
    at = digest[-1] & 0x0F
    codes.append("%06d" % ((struct.unpack(">I", digest[at:at + 4])[0] & 0x7FFFFFFF) % 1000000))
print(" ".join(codes))
PY
}

# as_profile PROFILE CMD...: runs CMD as the operator of another account (its profile).
as_profile() {
  local profile=$1
  shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN AWS_PROFILE="$profile" "$@"
}

# new_profile NAME: refuses to write over a profile that exists already.
new_profile() {
  if aws configure get aws_access_key_id --profile "$1" >/dev/null 2>&1; then
    echo "the AWS CLI profile $1 exists already; remove it, or choose another name" >&2
    return 1
  fi
}

# remove_profile NAME: removes the profile's sections from the AWS CLI's files,
# leaving every other line as it was.
remove_profile() {
  local file
  for file in "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" "${AWS_CONFIG_FILE:-$HOME/.aws/config}"; do
    [[ -f "$file" ]] || continue
    awk -v a="[$1]" -v b="[profile $1]" '
      /^[[:space:]]*\[/ { s = $0; gsub(/^[[:space:]]+|[[:space:]]+$/, "", s); skip = (s == a || s == b) }
      !skip' "$file" >"$WORK/profile.tmp" && cat "$WORK/profile.tmp" >"$file"
    rm -f "$WORK/profile.tmp"
  done
}"#;

/// The claim and cleanup functions only the script uses.
const CHECKS: &str = r#"# error_code TEXT: the AWS error code in the aws CLI's error message.
error_code() {
  if [[ $1 =~ An\ error\ occurred\ \(([A-Za-z0-9.]+)\) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "a failure without an AWS error code"
  fi
}

verdict() {
  if [[ $3 == 1 ]]; then
    echo "PASS  $1: $2"
  else
    echo "FAIL  $1: $2 ($4)"
    FAILED=$((FAILED + 1))
  fi
}

# With CLAIM_KEEP=FILE set, a claim keeps the call's answer (the id of what it made) in
# FILE; `kept FILE` reads the id back (empty when the call made nothing).
kept() {
  [[ -s $1 ]] || return 0
  awk -F'\t' 'NR == 1 && $NF != "None" { print $NF }' "$1"
}

# claim_success ID TEXT CMD...: the call succeeds.
claim_success() {
  local id=$1 text=$2 attempt err=""
  shift 2
  for ((attempt = 1; ; attempt++)); do
    if err=$("$@" 2>&1 >"${CLAIM_KEEP:-/dev/null}"); then
      verdict "$id" "$text" 1
      return 0
    fi
    ((attempt < ATTEMPTS)) || break
    sleep "$attempt"
  done
  verdict "$id" "$text" 0 "expected success, got $(error_code "$err")"
}

# claim_error ID TEXT 'CODE...' CMD...: the call fails with one of the codes.
claim_error() {
  local id=$1 text=$2 codes=$3 attempt err code
  shift 3
  for ((attempt = 1; ; attempt++)); do
    if err=$("$@" 2>&1 >"${CLAIM_KEEP:-/dev/null}"); then
      code="success"
    else
      code=$(error_code "$err")
    fi
    if [[ " $codes " == *" $code "* ]]; then
      verdict "$id" "$text" 1
      return 0
    fi
    ((attempt < ATTEMPTS)) || break
    sleep "$attempt"
  done
  verdict "$id" "$text" 0 "expected ${codes// / or }, got $code"
}

# claim_fields ID TEXT N [FIELD QUERY PATTERN SECRET]... CMD...: the call succeeds and
# each field (read with --query, or from a file for `file:PATH`) matches its pattern.
claim_fields() {
  local id=$1 text=$2 n=$3 i j attempt out query="" got detail ok
  shift 3
  local fields=() queries=() patterns=() secrets=() values=()
  for ((i = 0; i < n; i++)); do
    fields+=("$1") queries+=("$2") patterns+=("$3") secrets+=("$4")
    shift 4
  done
  for ((i = 0; i < n; i++)); do
    [[ ${queries[i]} == file:* ]] || query+="${query:+,}${queries[i]}"
  done
  for ((attempt = 1; ; attempt++)); do
    ok=1 detail=""
    if out=$(if [[ -n $query ]]; then "$@" --query "[$query]" --output text; else "$@" >/dev/null; fi 2>"$WORK/claim.err"); then
      # Only the last field, the id (never a secret field of the answer).
      [[ -z ${CLAIM_KEEP:-} ]] || printf '%s\n' "${out##*$'\t'}" >"$CLAIM_KEEP"
      IFS=$'\t' read -r -a values <<<"$out"
      j=0
      for ((i = 0; i < n; i++)); do
        if [[ ${queries[i]} == file:* ]]; then
          got=$(cat "${queries[i]#file:}" 2>/dev/null || true)
        else
          got=${values[j]-}
          j=$((j + 1))
        fi
        # shellcheck disable=SC2053 # the pattern is a glob
        if [[ $got != ${patterns[i]} ]]; then
          ok=0
          if [[ ${secrets[i]} == 1 ]]; then got="(hidden)"; fi
          detail+="${fields[i]} is ${got}, expected ${patterns[i]}; "
        fi
      done
    else
      ok=0 detail="expected success, got $(error_code "$(cat "$WORK/claim.err")")"
    fi
    if [[ $ok == 1 ]]; then
      verdict "$id" "$text" 1
      return 0
    fi
    ((attempt < ATTEMPTS)) || break
    sleep "$attempt"
  done
  verdict "$id" "$text" 0 "${detail%; }"
}

# undo CMD...: one cleanup command; "not found" counts as done, anything else is
# reported and the cleanup goes on.
undo() {
  local err
  if err=$("$@" 2>&1 >/dev/null); then
    return 0
  fi
  case $err in
    *NoSuchEntity* | *NoSuchBucket* | *NoSuchKey* | *NotFound* | *"does not exist"*) return 0 ;;
  esac
  echo "LEFT  $1 $2 $3: $(error_code "$err")" >&2
  CLEANUP_FAILED=1
}"#;

/// Renders the runbook as a bash script.
#[expect(clippy::too_many_lines, reason = "the script from top to bottom")]
pub fn render(runbook: &Runbook, files: Files) -> String {
    let mut out = String::new();
    header(&mut out, runbook);
    let _ = writeln!(out, "set -euo pipefail");
    match files {
        Files::Beside => {
            let _ = writeln!(out, "cd \"$(dirname \"$0\")\"");
        }
        Files::Inline => {}
    }
    let _ = writeln!(out, "umask 077");
    preamble(&mut out, runbook);
    let _ = writeln!(
        out,
        "ATTEMPTS=\"${{AWSLAB_CLAIM_ATTEMPTS:-{}}}\"",
        if runbook.endpoint_url.is_some() { 1 } else { 6 }
    );
    let _ = writeln!(out, "FAILED=0\nCLEANUP_FAILED=0\n");
    let _ = writeln!(out, "{HELPERS}\n\n{CHECKS}\n");
    cleanup(&mut out, runbook);
    let _ = writeln!(out, "trap cleanup EXIT\ntrap 'exit 130' INT TERM\n");
    if files == Files::Inline && !runbook.files.is_empty() {
        let _ = writeln!(
            out,
            "# The files the commands read, written into the private folder."
        );
        for file in &runbook.files {
            let path = file.path.as_str();
            let dir = path.rsplit_once('/').map(|(d, _)| d);
            if let Some(dir) = dir {
                let _ = writeln!(out, "mkdir -p \"$WORK/{dir}\"");
            }
            let delimiter = delimiter(&file.contents);
            let _ = write!(
                out,
                "cat >\"$WORK/{path}\" <<'{delimiter}'\n{}",
                file.contents
            );
            if !file.contents.ends_with('\n') {
                out.push('\n');
            }
            let _ = writeln!(out, "{delimiter}");
        }
        let _ = writeln!(out, "cd \"$WORK\"\n");
    }
    if runbook.needs_account_id {
        let _ = writeln!(out, "{}\n", crate::model::ACCOUNT_ID);
    }
    for line in &runbook.setup {
        let _ = writeln!(out, "{line}");
    }
    for (index, section) in runbook.sections.iter().enumerate() {
        let _ = writeln!(
            out,
            "# --- {}. {} ({}): {}",
            index + 1,
            section.step,
            section.kind,
            one_line(&section.description)
        );
        let _ = writeln!(
            out,
            "echo {}",
            single_quoted(&format!(
                "== {}: {}",
                section.step,
                one_line(&section.description)
            ))
        );
        for command in &section.commands {
            let _ = writeln!(out, "{}", command.line);
            if let Some(mark) = &command.marks {
                let _ = writeln!(out, "{mark}=1");
            }
        }
        if let Some(claim) = &section.claim {
            let id = single_quoted(&section.step);
            let text = single_quoted(&one_line(&claim.text));
            // A call that makes something keeps the id it answers, for the cleanup.
            let kept_file = format!("\"$WORK/{}.created\"", section.step);
            let (keep, command, kept_field) = match &claim.keep {
                Some(query) => (
                    format!("CLAIM_KEEP={kept_file}\n"),
                    format!(
                        "{} --query {} --output text",
                        claim.command,
                        single_quoted(query)
                    ),
                    Some(crate::model::FieldCheck {
                        field: "(made)".to_owned(),
                        query: query.clone(),
                        pattern: "'*'".to_owned(),
                        shown: "*".to_owned(),
                        secret: false,
                    }),
                ),
                None => (String::new(), claim.command.clone(), None),
            };
            match &claim.expected {
                Expected::Success => {
                    let _ = writeln!(out, "{keep}claim_success {id} {text} {command}");
                }
                Expected::Error(codes) => {
                    let _ = writeln!(
                        out,
                        "{keep}claim_error {id} {text} {} {command}",
                        single_quoted(&codes.join(" ")),
                    );
                }
                Expected::Fields(fields) => {
                    // The id read last, beside the fields (`kept` reads the last).
                    let fields: Vec<&crate::model::FieldCheck> =
                        fields.iter().chain(kept_field.as_ref()).collect();
                    let mut line = format!("{keep}claim_fields {id} {text} {}", fields.len());
                    for field in fields {
                        let query = if let Some(path) = field.query.strip_prefix("file:") {
                            format!("\"file:{path}\"")
                        } else {
                            single_quoted(&field.query)
                        };
                        let _ = write!(
                            line,
                            " {} {query} {} {}",
                            single_quoted(&field.field),
                            field.pattern,
                            u8::from(field.secret)
                        );
                    }
                    let _ = writeln!(out, "{line} {}", claim.command);
                }
            }
            let _ = writeln!(
                out,
                "CLAIMED_{}=1",
                crate::words::var_name(&[section.step.as_str()])
            );
            if claim.keep.is_some() {
                let _ = writeln!(
                    out,
                    "unset CLAIM_KEEP\n{}=$(kept {kept_file})",
                    crate::model::kept_var(&section.step)
                );
            }
        }
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A here-document delimiter that no line of `contents` equals.
fn delimiter(contents: &str) -> String {
    let mut delimiter = "AWSLAB_FILE".to_owned();
    while contents.lines().any(|l| l == delimiter) {
        delimiter.push('_');
    }
    delimiter
}

fn header(out: &mut String, runbook: &Runbook) {
    let _ = writeln!(out, "#!/usr/bin/env bash");
    let _ = writeln!(out, "# {}", runbook.name);
    if let Some(description) = &runbook.description {
        for line in wrap(description, 80) {
            let _ = writeln!(out, "#   {line}");
        }
    }
    let _ = writeln!(
        out,
        "#\n# Made by `awslab export` (run id {}): runs the lab with the aws CLI, prints\n# PASS or FAIL for each claim, then cleans up (also when a command fails), and exits\n# 1 if a claim failed, 3 if cleanup left something behind.\n#",
        runbook.run_id
    );
    if runbook.sandbox {
        let _ = writeln!(
            out,
            "# On the sandbox: `awslab sandbox serve &`, then `eval \"$(awslab sandbox env)\"`\n# for the operator's keys; tokens and SAML responses come from `awslab` ($AWSLAB)."
        );
    } else {
        let _ = writeln!(
            out,
            "# The operator: the credentials in the environment, or AWS_PROFILE."
        );
    }
    if !runbook.secrets.is_empty() {
        let names: Vec<String> = runbook.secrets.iter().map(|s| secret_env(s)).collect();
        let _ = writeln!(
            out,
            "# Secret variables are read from the environment: {}.",
            names.join(", ")
        );
    }
}

pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The settings both outputs start with: endpoint, profile, region, the `awslab`
/// binary, the private folder, and a check that each secret variable is set.
pub(crate) fn preamble(out: &mut String, runbook: &Runbook) {
    if let Some(url) = &runbook.endpoint_url {
        let _ = writeln!(
            out,
            "export AWS_ENDPOINT_URL=\"${{AWS_ENDPOINT_URL:-{url}}}\""
        );
    }
    if let Some(profile) = &runbook.profile {
        let _ = writeln!(out, "export AWS_PROFILE={}", single_quoted(profile));
    }
    let _ = writeln!(out, "REGION={}", single_quoted(&runbook.region));
    let _ = writeln!(out, "export AWS_DEFAULT_REGION=\"$REGION\" AWS_PAGER=\"\"");
    if runbook.sandbox || runbook.uses_awslab() {
        let _ = writeln!(out, "AWSLAB=\"${{AWSLAB:-awslab}}\"");
    }
    let _ = writeln!(out, "WORK=$(mktemp -d)");
    for secret in &runbook.secrets {
        let env = secret_env(secret);
        let _ = writeln!(
            out,
            ": \"${{{env}:?set {env} to the secret variable {secret}}}\""
        );
    }
}

fn cleanup(out: &mut String, runbook: &Runbook) {
    let _ = writeln!(
        out,
        "# The cleanup, in teardown order; each command only if what it undoes was made.\ncleanup() {{\n  local status=$?\n  set +e\n  trap - EXIT\n  echo '== cleanup'"
    );
    for undo in &runbook.cleanup {
        let _ = writeln!(
            out,
            "  [[ -z \"${{{}:-}}\" ]] || undo {}",
            undo.guard, undo.line
        );
    }
    let _ = writeln!(
        out,
        "  rm -rf \"$WORK\"\n  if ((CLEANUP_FAILED)); then\n    echo 'cleanup left something behind (LEFT above)' >&2\n    exit 3\n  fi\n  if ((status != 0 && status != 130)); then\n    echo \"stopped: a command failed (exit status $status)\" >&2\n    exit \"$status\"\n  fi\n  if ((FAILED)); then\n    echo \"$FAILED claim(s) failed\"\n    exit 1\n  fi\n  exit \"$status\"\n}}\n"
    );
}
