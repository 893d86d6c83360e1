//! The `Condition` element: operator names (with `ForAnyValue:`/`ForAllValues:` and
//! `...IfExists`), condition keys and values, parsed and type-checked once so that
//! evaluation (in `operators.rs`) compares ready values.

use ipnet::IpNet;
use serde_json::Value;

use crate::error::PolicyError;
use crate::variables::{ArnMatcher, Matcher, Template};

/// The condition operators of `reference_policies_elements_condition_operators.html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Numeric(Comparison, bool),
    Date(Comparison, bool),
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The comparison of a numeric or date operator: context value against policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

const NAMES: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        Operator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::Numeric(Comparison::Equal, false)),
    (
        "NumericNotEquals",
        Operator::Numeric(Comparison::Equal, true),
    ),
    (
        "NumericLessThan",
        Operator::Numeric(Comparison::Less, false),
    ),
    (
        "NumericLessThanEquals",
        Operator::Numeric(Comparison::LessOrEqual, false),
    ),
    (
        "NumericGreaterThan",
        Operator::Numeric(Comparison::Greater, false),
    ),
    (
        "NumericGreaterThanEquals",
        Operator::Numeric(Comparison::GreaterOrEqual, false),
    ),
    ("DateEquals", Operator::Date(Comparison::Equal, false)),
    ("DateNotEquals", Operator::Date(Comparison::Equal, true)),
    ("DateLessThan", Operator::Date(Comparison::Less, false)),
    (
        "DateLessThanEquals",
        Operator::Date(Comparison::LessOrEqual, false),
    ),
    (
        "DateGreaterThan",
        Operator::Date(Comparison::Greater, false),
    ),
    (
        "DateGreaterThanEquals",
        Operator::Date(Comparison::GreaterOrEqual, false),
    ),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// Negated operators are true when no policy value matches (and when the key is
    /// absent).
    pub(crate) fn negated(self) -> bool {
        match self {
            Self::StringNotEquals
            | Self::StringNotEqualsIgnoreCase
            | Self::StringNotLike
            | Self::NotIpAddress
            | Self::ArnNotEquals
            | Self::ArnNotLike => true,
            Self::Numeric(_, negated) | Self::Date(_, negated) => negated,
            _ => false,
        }
    }
}

/// The set operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualifier {
    Single,
    AnyValue,
    AllValues,
}

/// The policy side values, converted for the operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    Strings(Vec<Matcher>),
    Numbers(Vec<f64>),
    /// Unix time in nanoseconds.
    Dates(Vec<i128>),
    Bools(Vec<bool>),
    Binary(Vec<Vec<u8>>),
    Networks(Vec<IpNet>),
    Arns(Vec<ArnMatcher>),
    /// `Null`: `true` means "the key is absent".
    Null(Vec<bool>),
}

/// One operator/key pair of a `Condition` block.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) operator: Operator,
    pub(crate) qualifier: Qualifier,
    pub(crate) if_exists: bool,
    /// Lowercased: condition keys are case-insensitive.
    pub(crate) key: String,
    pub(crate) values: Values,
    /// The operator, key and values as written, for explanations.
    pub(crate) written: Box<WrittenCondition>,
}

/// A condition as the policy writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenCondition {
    pub(crate) operator: String,
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

/// Parses a whole `Condition` element (operators, then keys, then values).
pub(crate) fn parse_conditions(
    value: &Value,
    path: &str,
    variables: bool,
    errors: &mut Vec<PolicyError>,
) -> Vec<Condition> {
    let Value::Object(operators) = value else {
        errors.push(PolicyError::WrongType {
            expected: "an object of condition operators",
            path: path.to_owned(),
            span: None,
        });
        return Vec::new();
    };
    let mut conditions = Vec::new();
    for (name, block) in operators {
        let operator_path = format!("{path}/{}", escape(name));
        let Some((operator, qualifier, if_exists)) = parse_operator(name, &operator_path, errors)
        else {
            continue;
        };
        let Value::Object(keys) = block else {
            errors.push(PolicyError::WrongType {
                expected: "an object of condition keys",
                path: operator_path,
                span: None,
            });
            continue;
        };
        for (key, raw) in keys {
            let key_path = format!("{operator_path}/{}", escape(key));
            if !key.contains(':') || key.starts_with(':') {
                errors.push(PolicyError::InvalidConditionKey {
                    key: key.clone(),
                    path: key_path.clone(),
                    span: None,
                });
            }
            let texts = value_texts(raw, &key_path, errors);
            let before = errors.len();
            let values = convert(operator, name, &texts, variables, &key_path, errors);
            if errors.len() == before {
                conditions.push(Condition {
                    operator,
                    qualifier,
                    if_exists,
                    key: key.to_ascii_lowercase(),
                    values,
                    written: Box::new(WrittenCondition {
                        operator: name.clone(),
                        key: key.clone(),
                        values: texts.iter().map(|(text, _)| text.clone()).collect(),
                    }),
                });
            }
        }
    }
    conditions
}

fn parse_operator(
    name: &str,
    path: &str,
    errors: &mut Vec<PolicyError>,
) -> Option<(Operator, Qualifier, bool)> {
    let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Qualifier::AnyValue, rest)
    } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Qualifier::AllValues, rest)
    } else {
        (Qualifier::Single, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let found = NAMES
        .iter()
        .find(|(known, _)| *known == base)
        .map(|(_, operator)| *operator);
    match found {
        Some(Operator::Null) if if_exists || qualifier != Qualifier::Single => {
            errors.push(unknown_operator(
                name,
                "`Null` takes no `IfExists` suffix and no set prefix".to_owned(),
                path,
            ));
            None
        }
        Some(operator) => Some((operator, qualifier, if_exists)),
        None => {
            let help = match NAMES
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(base))
            {
                Some((known, _)) => {
                    format!("operator names are case-sensitive: did you mean `{known}`?")
                }
                None => "see the list of condition operators in docs/policy.md".to_owned(),
            };
            errors.push(unknown_operator(name, help, path));
            None
        }
    }
}

fn unknown_operator(name: &str, help: String, path: &str) -> PolicyError {
    PolicyError::UnknownOperator {
        operator: name.to_owned(),
        help,
        path: path.to_owned(),
        span: None,
    }
}

/// Condition values may be strings, numbers or booleans, alone or in a list.
fn value_texts(value: &Value, path: &str, errors: &mut Vec<PolicyError>) -> Vec<(String, String)> {
    let scalar = |item: &Value, item_path: String, errors: &mut Vec<PolicyError>| match item {
        Value::String(text) => Some((text.clone(), item_path)),
        Value::Number(number) => Some((number.to_string(), item_path)),
        Value::Bool(flag) => Some((flag.to_string(), item_path)),
        _ => {
            errors.push(PolicyError::WrongType {
                expected: "a string, number or boolean",
                path: item_path,
                span: None,
            });
            None
        }
    };
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| scalar(item, format!("{path}/{index}"), errors))
            .collect(),
        other => scalar(other, path.to_owned(), errors).into_iter().collect(),
    }
}

fn convert(
    operator: Operator,
    name: &str,
    texts: &[(String, String)],
    variables: bool,
    _path: &str,
    errors: &mut Vec<PolicyError>,
) -> Values {
    let mut fail = |text: &str, path: &str, expected: &str| {
        errors.push(PolicyError::InvalidConditionValue {
            operator: name.to_owned(),
            reason: format!("`{text}` is not {expected}"),
            path: path.to_owned(),
            span: None,
        });
    };
    macro_rules! each {
        ($parse:expr, $expected:expr) => {
            texts
                .iter()
                .filter_map(|(text, path)| {
                    let parsed = $parse(text.as_str());
                    if parsed.is_none() {
                        fail(text, path, $expected);
                    }
                    parsed
                })
                .collect()
        };
    }
    match operator {
        Operator::StringEquals
        | Operator::StringNotEquals
        | Operator::StringEqualsIgnoreCase
        | Operator::StringNotEqualsIgnoreCase => Values::Strings(
            texts
                .iter()
                .map(|(text, _)| Matcher::new(&Template::parse(text, variables), false))
                .collect(),
        ),
        Operator::StringLike | Operator::StringNotLike => Values::Strings(
            texts
                .iter()
                .map(|(text, _)| Matcher::new(&Template::parse(text, variables), true))
                .collect(),
        ),
        Operator::ArnEquals | Operator::ArnLike | Operator::ArnNotEquals | Operator::ArnNotLike => {
            Values::Arns(
                texts
                    .iter()
                    .map(|(text, _)| ArnMatcher::new(text, variables))
                    .collect(),
            )
        }
        Operator::Numeric(..) => Values::Numbers(each!(parse_number, "a number")),
        Operator::Date(..) => Values::Dates(each!(parse_date, "an ISO 8601 date or epoch seconds")),
        Operator::Bool => Values::Bools(each!(parse_bool, "`true` or `false`")),
        Operator::Null => Values::Null(each!(parse_bool, "`true` or `false`")),
        Operator::BinaryEquals => Values::Binary(each!(parse_base64, "base64")),
        Operator::IpAddress | Operator::NotIpAddress => {
            Values::Networks(each!(parse_network, "an IP address or CIDR block"))
        }
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn parse_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

pub(crate) fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// ISO 8601 (`2024-01-31T12:00:00Z`, with fractions or offsets, or a bare date) or
/// Unix epoch seconds, as AWS accepts in date conditions; in nanoseconds.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(i128::from(seconds) * 1_000_000_000);
    }
    if let Ok(moment) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Some(moment.unix_timestamp_nanos());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(date) = time::Date::parse(text, &date_format) {
        return Some(date.midnight().assume_utc().unix_timestamp_nanos());
    }
    let minute_format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]Z");
    time::PrimitiveDateTime::parse(text, &minute_format)
        .ok()
        .map(|moment| moment.assume_utc().unix_timestamp_nanos())
}
