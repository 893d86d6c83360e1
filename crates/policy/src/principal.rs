//! The `Principal` and `NotPrincipal` elements of resource-based and trust policies:
//! parsing (`*`, account ids, `:root`, user, role, assumed-role and federated-user
//! ARNs, unique ids, `Service`, `Federated`, `CanonicalUser`) and matching a caller,
//! including *how* it matched, which decides whether a same-account grant stands alone.

use serde_json::Value;

use crate::arn::{ArnParts, arn_parts, is_account_id};
use crate::error::PolicyError;
use crate::request::{Principal, PrincipalKind};

/// How a `Principal` element matched the caller, weakest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum PrincipalMatch {
    /// The caller's account (`123456789012` or `arn:aws:iam::123456789012:root`): the
    /// account delegates to its identity-based policies.
    Account,
    /// The role of a role session, or the IAM user behind a federated user session:
    /// limited by the session's permissions boundary and session policies.
    Source,
    /// `"*"`: everyone.
    Everyone,
    /// The caller itself (user, role session, federated user session, service, provider).
    Exact,
}

/// A parsed `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSpec {
    pub(crate) negated: bool,
    everyone: bool,
    accounts: Vec<String>,
    arns: Vec<String>,
    unique_ids: Vec<String>,
    services: Vec<String>,
    federated: Vec<String>,
    canonical: Vec<String>,
}

impl PrincipalSpec {
    pub(crate) fn parse(
        value: &Value,
        path: &str,
        negated: bool,
        errors: &mut Vec<PolicyError>,
    ) -> Self {
        let mut spec = Self {
            negated,
            ..Self::default()
        };
        match value {
            Value::String(text) if text == "*" => spec.everyone = true,
            Value::Object(map) => {
                for (kind, entries) in map {
                    let entry_path = format!("{path}/{kind}");
                    for (index, entry) in strings(entries, &entry_path, errors) {
                        let item_path = if matches!(entries, Value::Array(_)) {
                            format!("{entry_path}/{index}")
                        } else {
                            entry_path.clone()
                        };
                        spec.add(kind, entry, &item_path, errors);
                    }
                }
            }
            Value::String(text) => errors.push(invalid(
                format!("`{text}` must be \"*\" or an object such as {{\"AWS\": \"arn:aws:iam::123456789012:root\"}}"),
                path,
            )),
            _ => errors.push(PolicyError::WrongType {
                expected: "\"*\" or an object of principal types",
                path: path.to_owned(),
                span: None,
            }),
        }
        spec
    }

    fn add(&mut self, kind: &str, entry: &str, path: &str, errors: &mut Vec<PolicyError>) {
        match kind {
            "AWS" => self.add_aws(entry, path, errors),
            "Service" => self.services.push(entry.to_ascii_lowercase()),
            "Federated" => self.federated.push(entry.to_owned()),
            "CanonicalUser" => self.canonical.push(entry.to_owned()),
            other => errors.push(invalid(
                format!("unknown principal type `{other}`: use `AWS`, `Service`, `Federated` or `CanonicalUser`"),
                path,
            )),
        }
    }

    fn add_aws(&mut self, entry: &str, path: &str, errors: &mut Vec<PolicyError>) {
        if entry == "*" {
            self.everyone = true;
        } else if is_account_id(entry) {
            self.accounts.push(entry.to_owned());
        } else if entry.contains(['*', '?']) {
            errors.push(invalid(
                format!("`{entry}`: a wildcard cannot match part of a principal; use \"*\" with a condition on `aws:PrincipalArn`"),
                path,
            ));
        } else if let Some(account) = root_account(entry) {
            self.accounts.push(account.to_owned());
        } else if is_principal_arn(entry) {
            self.arns.push(entry.to_owned());
        } else if entry.len() >= 16
            && ["AIDA", "AROA", "AGPA"]
                .iter()
                .any(|prefix| entry.starts_with(prefix))
        {
            self.unique_ids.push(entry.to_owned());
        } else {
            errors.push(invalid(
                format!(
                    "`{entry}` is not an account id, an IAM user or role ARN or an STS session ARN"
                ),
                path,
            ));
        }
    }

    /// How the element matches `principal`, if it does (for `Principal`).
    pub(crate) fn match_principal(&self, principal: &Principal) -> Option<PrincipalMatch> {
        let exact = match principal.kind {
            PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => {
                self.arns.contains(&principal.arn) || self.lists_unique_id(principal)
            }
            PrincipalKind::Root => {
                self.accounts.contains(&principal.account) || self.arns.contains(&principal.arn)
            }
            PrincipalKind::Service => self
                .services
                .iter()
                .any(|service| service == "*" || service.eq_ignore_ascii_case(&principal.arn)),
            PrincipalKind::WebIdentity => self.federated.contains(&principal.arn),
            PrincipalKind::Anonymous => false,
        } || self.canonical.contains(&principal.arn);
        if exact {
            Some(PrincipalMatch::Exact)
        } else if self.everyone {
            Some(PrincipalMatch::Everyone)
        } else if self.lists_source(principal) {
            Some(PrincipalMatch::Source)
        } else if !principal.account.is_empty() && self.accounts.contains(&principal.account) {
            Some(PrincipalMatch::Account)
        } else {
            None
        }
    }

    /// Whether a `NotPrincipal` element excludes `principal`: only when it lists every
    /// identity the request carries (the session, its role, and the account), as
    /// `reference_policies_elements_notprincipal.html` describes.
    pub(crate) fn excludes(&self, principal: &Principal) -> bool {
        if self.everyone {
            return true;
        }
        let account = self.accounts.contains(&principal.account);
        let exact = self.arns.contains(&principal.arn) || self.lists_unique_id(principal);
        match principal.kind {
            PrincipalKind::User | PrincipalKind::FederatedUser => exact && account,
            PrincipalKind::AssumedRole => exact && self.lists_source(principal) && account,
            PrincipalKind::Root => account || exact,
            PrincipalKind::Service | PrincipalKind::WebIdentity => {
                self.match_principal(principal) == Some(PrincipalMatch::Exact)
            }
            PrincipalKind::Anonymous => false,
        }
    }

    /// What an `Allow` with `NotPrincipal` grants `principal`: everyone but the
    /// principals listed (`reference_policies_elements_notprincipal.html`). A caller
    /// whose own ARN (or, for a session, its role) is listed gets nothing from the
    /// statement itself; if its account is not listed too, the account still gets the
    /// grant, which within the account only delegates to identity-based policies.
    pub(crate) fn allow_except(&self, principal: &Principal) -> Option<PrincipalMatch> {
        if self.everyone {
            return None;
        }
        let account_listed =
            !principal.account.is_empty() && self.accounts.contains(&principal.account);
        let caller_listed = match principal.kind {
            PrincipalKind::User | PrincipalKind::FederatedUser => {
                self.arns.contains(&principal.arn) || self.lists_unique_id(principal)
            }
            PrincipalKind::AssumedRole => {
                self.arns.contains(&principal.arn)
                    || self.lists_unique_id(principal)
                    || self.lists_source(principal)
            }
            PrincipalKind::Root => self.arns.contains(&principal.arn),
            PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous => {
                self.match_principal(principal) == Some(PrincipalMatch::Exact)
            }
        };
        match (caller_listed, account_listed) {
            (_, true) => None,
            (true, false) if principal.account.is_empty() => None,
            (true, false) => Some(PrincipalMatch::Account),
            (false, false) => Some(PrincipalMatch::Everyone),
        }
    }

    /// A short description of how the element relates to `principal`, for explanations.
    pub(crate) fn describe(&self, principal: &Principal) -> String {
        if self.negated {
            return if self.excludes(principal) {
                "`NotPrincipal` lists the caller".to_owned()
            } else {
                "`NotPrincipal` does not list every identity of the caller".to_owned()
            };
        }
        match self.match_principal(principal) {
            Some(PrincipalMatch::Exact) => "`Principal` names the caller".to_owned(),
            Some(PrincipalMatch::Everyone) => "`Principal` is everyone (`*`)".to_owned(),
            Some(PrincipalMatch::Source) => {
                "`Principal` names the role (or IAM user) behind the caller's session".to_owned()
            }
            Some(PrincipalMatch::Account) => {
                format!(
                    "`Principal` names the caller's account `{}`",
                    principal.account
                )
            }
            None => format!("`Principal` does not name `{}`", principal.arn),
        }
    }

    fn lists_unique_id(&self, principal: &Principal) -> bool {
        let id = principal.user_id.split(':').next().unwrap_or_default();
        self.unique_ids.iter().any(|unique| unique == id)
    }

    fn lists_source(&self, principal: &Principal) -> bool {
        match principal.kind {
            PrincipalKind::AssumedRole => self.arns.iter().any(|arn| role_matches(arn, principal)),
            PrincipalKind::FederatedUser => principal
                .source_arn
                .as_ref()
                .is_some_and(|source| self.arns.contains(source)),
            _ => false,
        }
    }
}

/// A role ARN in a policy matches a role session when account and role name agree
/// (the session ARN carries no role path).
fn role_matches(policy_arn: &str, principal: &Principal) -> bool {
    if principal.source_arn.as_deref() == Some(policy_arn) {
        return true;
    }
    let Some((account, name)) = role_parts(policy_arn) else {
        return false;
    };
    let session_role = principal
        .arn
        .split_once(":assumed-role/")
        .and_then(|(_, rest)| rest.split('/').next());
    account == principal.account && session_role == Some(name)
}

fn role_parts(arn: &str) -> Option<(&str, &str)> {
    let ArnParts {
        service: "iam",
        account,
        resource,
        ..
    } = arn_parts(arn)?
    else {
        return None;
    };
    let path = resource.strip_prefix("role/")?;
    Some((account, path.rsplit('/').next().unwrap_or(path)))
}

fn root_account(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, rest) = rest.split_once(":iam::")?;
    let account = rest.strip_suffix(":root")?;
    is_account_id(account).then_some(account)
}

fn is_principal_arn(arn: &str) -> bool {
    let Some(ArnParts {
        service,
        region: "",
        account,
        resource,
        ..
    }) = arn_parts(arn)
    else {
        return false;
    };
    is_account_id(account)
        && match service {
            "iam" => resource.starts_with("user/") || resource.starts_with("role/"),
            "sts" => {
                resource.starts_with("assumed-role/") || resource.starts_with("federated-user/")
            }
            _ => false,
        }
}

fn invalid(reason: String, path: &str) -> PolicyError {
    PolicyError::InvalidPrincipal {
        reason,
        path: path.to_owned(),
        span: None,
    }
}

/// A string or list of strings, with the index of each; other shapes are errors.
pub(crate) fn strings<'v>(
    value: &'v Value,
    path: &str,
    errors: &mut Vec<PolicyError>,
) -> Vec<(usize, &'v str)> {
    match value {
        Value::String(text) => vec![(0, text.as_str())],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                if let Value::String(text) = item {
                    return Some((index, text.as_str()));
                }
                errors.push(PolicyError::WrongType {
                    expected: "a string",
                    path: format!("{path}/{index}"),
                    span: None,
                });
                None
            })
            .collect(),
        _ => {
            errors.push(PolicyError::WrongType {
                expected: "a string or a list of strings",
                path: path.to_owned(),
                span: None,
            });
            Vec::new()
        }
    }
}
