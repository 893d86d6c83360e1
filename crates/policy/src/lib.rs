//! IAM policy documents as AWS documents them: parse identity-based, resource-based,
//! trust, session and boundary policies (reporting every `MalformedPolicyDocument`
//! problem with its path and span), compile them once, and evaluate requests with
//! AWS's policy evaluation logic after AWS's service rules ([`service_rule`]), saying
//! which statements matched and why the request was allowed or denied. [`explain`]
//! builds, on demand, the per-policy and per-statement explanation; [`PreparedPolicies`]
//! indexes one caller's identity policies for repeated evaluation. See
//! `docs/policy.md` for what is supported.
//!
//! ```
//! use awslab_policy::{evaluate, EvaluationInput, NamedPolicy, PolicyDocument, Principal, Request, Verdict};
//!
//! let policy = PolicyDocument::parse(r#"{"Version": "2012-10-17", "Statement": [
//!     {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::lab"}]}"#)
//!     .map_err(|errors| errors.len())?;
//! let input = EvaluationInput { identity_policies: vec![NamedPolicy::new("list.json", &policy)], ..Default::default() };
//! let bob = Principal::user("123456789012", "bob");
//! let decision = evaluate(&input, &Request::new(bob.clone(), "s3:ListBucket", "arn:aws:s3:::lab"));
//! assert_eq!(decision.verdict, Verdict::Allowed);
//! let denied = Request::new(bob, "s3:GetObject", "arn:aws:s3:::lab/key");
//! assert_eq!(
//!     evaluate(&input, &denied).access_denied_message(&denied).as_deref(),
//!     Some("User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject \
//!           on resource: arn:aws:s3:::lab/key because no identity-based policy allows the s3:GetObject action"),
//! );
//! # Ok::<(), usize>(())
//! ```

mod arn;
mod condition;
mod decision;
mod document;
mod error;
mod evaluate;
mod explain;
mod limits;
mod locate;
mod operators;
mod parse;
mod pattern;
mod prepared;
mod principal;
mod request;
mod service_rules;
mod strict;
mod trust;
mod variables;

pub use decision::{Decision, Grant, MatchedStatement, PolicyType, Reason, Verdict};
pub use document::{Effect, PolicyDocument, PolicyKind, Statement, Version};
pub use error::PolicyError;
pub use evaluate::{EvaluationInput, NamedPolicy, evaluate};
pub use explain::{
    ConditionCheck, ElementCheck, Explanation, MissingKey, PolicyExplanation, PolicyOutcome,
    RequestSummary, StatementExplanation, explain, explain_decided,
};
pub use limits::{
    Counting, DOCUMENT_MAX_LENGTH, Quota, QuotaExceeded, check_quota, policy_size, text_size, unit,
};
pub use prepared::{PreparedPolicies, evaluate_prepared};
pub use principal::PrincipalMatch;
pub use request::{
    Context, ContextValue, OwnerSource, Principal, PrincipalKind, Request, account_of_arn,
};
pub use service_rules::{ServiceRule, service_rule};
pub use strict::duplicate_keys;
pub use trust::{Admission, admits_principal, trust_allows};
