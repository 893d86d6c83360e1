//! Errors for malformed policy documents: one variant per problem IAM reports as
//! `MalformedPolicyDocument`, each with a namespaced code, the JSON-pointer path of
//! the offending element and, when the document was parsed from text, its byte span.

use miette::SourceSpan;

/// A problem found in a policy document. Parsing reports every problem at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    /// A key given twice in one object (JSON parsers keep the last one silently).
    #[error("`{key}` is given twice in one object; IAM-style parsers keep the last one")]
    #[diagnostic(
        code(policy::duplicate_key),
        help(
            "keep one `{key}`: a repeated key silently overrides the first (an `Effect: Deny` could become `Allow`)"
        )
    )]
    DuplicateKey {
        key: String,
        /// Byte offset of the first occurrence.
        first: usize,
        path: String,
        #[label("given again here")]
        span: Option<SourceSpan>,
    },
    /// The text is not valid JSON.
    #[error("syntax errors in policy: {message}")]
    #[diagnostic(code(policy::syntax), help("a policy document is one JSON object"))]
    Syntax {
        message: String,
        path: String,
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// An element has the wrong JSON type.
    #[error("`{path}` must be {expected}")]
    #[diagnostic(code(policy::wrong_type))]
    WrongType {
        expected: &'static str,
        path: String,
        #[label("not {expected}")]
        span: Option<SourceSpan>,
    },
    /// A field IAM does not know.
    #[error("unknown field `{field}`")]
    #[diagnostic(code(policy::unknown_field), help("{help}"))]
    UnknownField {
        field: String,
        help: &'static str,
        path: String,
        #[label("unknown field")]
        span: Option<SourceSpan>,
    },
    /// A required field is absent or empty.
    #[error("{message}")]
    #[diagnostic(code(policy::missing_field))]
    MissingField {
        field: &'static str,
        message: &'static str,
        path: String,
        #[label("in this statement")]
        span: Option<SourceSpan>,
    },
    /// A field this kind of policy must not have.
    #[error("{message}")]
    #[diagnostic(
        code(policy::prohibited_field),
        help("remove `{field}` from this statement")
    )]
    ProhibitedField {
        field: &'static str,
        message: &'static str,
        path: String,
        kind: &'static str,
        #[label("not allowed in {kind} policies")]
        span: Option<SourceSpan>,
    },
    /// Two fields that exclude each other, such as `Action` and `NotAction`.
    #[error("a statement cannot have both `{first}` and `{second}`")]
    #[diagnostic(
        code(policy::conflicting_fields),
        help("keep one of `{first}` and `{second}`")
    )]
    ConflictingFields {
        first: &'static str,
        second: &'static str,
        path: String,
        #[label("second one here")]
        span: Option<SourceSpan>,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("invalid effect `{value}`")]
    #[diagnostic(
        code(policy::unknown_effect),
        help("`Effect` is `Allow` or `Deny` (case-sensitive)")
    )]
    UnknownEffect {
        value: String,
        path: String,
        #[label("not `Allow` or `Deny`")]
        span: Option<SourceSpan>,
    },
    /// `Version` is not one IAM accepts.
    #[error("invalid policy version `{value}`")]
    #[diagnostic(code(policy::invalid_version), help("use \"Version\": \"2012-10-17\""))]
    InvalidVersion {
        value: String,
        path: String,
        #[label("unknown version")]
        span: Option<SourceSpan>,
    },
    /// An action is not `*` or `vendor:action`.
    #[error(
        "invalid action `{value}`: actions must be prefaced by a vendor, e.g. `iam`, `s3`, `sts`"
    )]
    #[diagnostic(
        code(policy::invalid_action),
        help("write actions as `service:Action`, for example `s3:ListBucket`")
    )]
    InvalidAction {
        value: String,
        path: String,
        #[label("not `service:Action`")]
        span: Option<SourceSpan>,
    },
    /// A resource is not an ARN or `*`.
    #[error("resource `{value}` must be in ARN format or \"*\"")]
    #[diagnostic(
        code(policy::invalid_resource),
        help("an ARN has six parts: `arn:partition:service:region:account:resource`")
    )]
    InvalidResource {
        value: String,
        path: String,
        #[label("not an ARN")]
        span: Option<SourceSpan>,
    },
    /// A principal IAM would reject.
    #[error("invalid principal in policy: {reason}")]
    #[diagnostic(code(policy::invalid_principal))]
    InvalidPrincipal {
        reason: String,
        path: String,
        #[label("invalid principal")]
        span: Option<SourceSpan>,
    },
    /// A condition operator IAM does not know.
    #[error("invalid condition type `{operator}`")]
    #[diagnostic(code(policy::unknown_operator), help("{help}"))]
    UnknownOperator {
        operator: String,
        help: String,
        path: String,
        #[label("unknown operator")]
        span: Option<SourceSpan>,
    },
    /// A condition key without a vendor prefix.
    #[error(
        "invalid condition key `{key}`: condition keys must be prefaced by a vendor, e.g. `aws`, `s3`, `sts`"
    )]
    #[diagnostic(code(policy::invalid_condition_key))]
    InvalidConditionKey {
        key: String,
        path: String,
        #[label("no vendor prefix")]
        span: Option<SourceSpan>,
    },
    /// A condition value the operator cannot use.
    #[error("invalid value for `{operator}`: {reason}")]
    #[diagnostic(code(policy::invalid_condition_value))]
    InvalidConditionValue {
        operator: String,
        reason: String,
        path: String,
        #[label("invalid value")]
        span: Option<SourceSpan>,
    },
    /// A statement id with characters IAM rejects.
    #[error("statement id `{sid}` must be alphanumeric")]
    #[diagnostic(
        code(policy::invalid_sid),
        help("IAM accepts only `A-Z`, `a-z` and `0-9` in a `Sid`")
    )]
    InvalidSid {
        sid: String,
        path: String,
        #[label("not alphanumeric")]
        span: Option<SourceSpan>,
    },
    /// Two statements with the same id.
    #[error("statement ids in a single policy must be unique: `{sid}` is repeated")]
    #[diagnostic(code(policy::duplicate_sid))]
    DuplicateSid {
        sid: String,
        path: String,
        #[label("repeated here")]
        span: Option<SourceSpan>,
    },
    /// Stands for the problems left out past the first [`PolicyError::REPORTED`], so
    /// that a document with a hundred thousand bad keys gets a bounded report.
    #[error("and {count} more problems in this policy")]
    #[diagnostic(
        code(policy::more),
        help("fix the problems above and check the policy again to see the rest")
    )]
    More { count: usize },
}

impl PolicyError {
    /// How many problems parsing reports at most; past them, one [`PolicyError::More`].
    pub const REPORTED: usize = 100;

    /// The JSON-pointer-like path of the element, such as `/Statement/0/Effect`.
    pub fn path(&self) -> &str {
        match self {
            Self::DuplicateKey { path, .. }
            | Self::Syntax { path, .. }
            | Self::WrongType { path, .. }
            | Self::UnknownField { path, .. }
            | Self::MissingField { path, .. }
            | Self::ProhibitedField { path, .. }
            | Self::ConflictingFields { path, .. }
            | Self::UnknownEffect { path, .. }
            | Self::InvalidVersion { path, .. }
            | Self::InvalidAction { path, .. }
            | Self::InvalidResource { path, .. }
            | Self::InvalidPrincipal { path, .. }
            | Self::UnknownOperator { path, .. }
            | Self::InvalidConditionKey { path, .. }
            | Self::InvalidConditionValue { path, .. }
            | Self::InvalidSid { path, .. }
            | Self::DuplicateSid { path, .. } => path,
            Self::More { .. } => "",
        }
    }

    /// The byte span in the source text, when the document was parsed from text.
    pub fn span(&self) -> Option<SourceSpan> {
        match self {
            Self::DuplicateKey { span, .. }
            | Self::Syntax { span, .. }
            | Self::WrongType { span, .. }
            | Self::UnknownField { span, .. }
            | Self::MissingField { span, .. }
            | Self::ProhibitedField { span, .. }
            | Self::ConflictingFields { span, .. }
            | Self::UnknownEffect { span, .. }
            | Self::InvalidVersion { span, .. }
            | Self::InvalidAction { span, .. }
            | Self::InvalidResource { span, .. }
            | Self::InvalidPrincipal { span, .. }
            | Self::UnknownOperator { span, .. }
            | Self::InvalidConditionKey { span, .. }
            | Self::InvalidConditionValue { span, .. }
            | Self::InvalidSid { span, .. }
            | Self::DuplicateSid { span, .. } => *span,
            Self::More { .. } => None,
        }
    }

    /// The namespaced code, such as `policy::unknown_effect`.
    pub fn code_name(&self) -> String {
        miette::Diagnostic::code(self).map_or_else(String::new, |code| code.to_string())
    }

    pub(crate) fn set_span(&mut self, span: SourceSpan) {
        if let Some(slot) = self.span_slot() {
            *slot = Some(span);
        }
    }

    fn span_slot(&mut self) -> Option<&mut Option<SourceSpan>> {
        Some(match self {
            Self::DuplicateKey { span, .. }
            | Self::Syntax { span, .. }
            | Self::WrongType { span, .. }
            | Self::UnknownField { span, .. }
            | Self::MissingField { span, .. }
            | Self::ProhibitedField { span, .. }
            | Self::ConflictingFields { span, .. }
            | Self::UnknownEffect { span, .. }
            | Self::InvalidVersion { span, .. }
            | Self::InvalidAction { span, .. }
            | Self::InvalidResource { span, .. }
            | Self::InvalidPrincipal { span, .. }
            | Self::UnknownOperator { span, .. }
            | Self::InvalidConditionKey { span, .. }
            | Self::InvalidConditionValue { span, .. }
            | Self::InvalidSid { span, .. }
            | Self::DuplicateSid { span, .. } => span,
            Self::More { .. } => return None,
        })
    }
}
