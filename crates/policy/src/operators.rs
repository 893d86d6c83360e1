//! Evaluates one condition against the request context, following
//! `reference_policies_elements_condition_operators.html` and
//! `reference_policies_condition-single-vs-multi-valued-context-keys.html`: a missing key
//! makes positive operators false and negated ones true, `...IfExists` makes a missing
//! key true, `ForAnyValue` needs one matching value, `ForAllValues` needs every value
//! to match (and is true for a missing or empty key).

use std::borrow::Cow;

use crate::condition::{
    Comparison, Condition, Operator, Qualifier, Values, parse_base64, parse_bool, parse_date,
    parse_network, parse_number,
};
use crate::request::{ContextValue, Keys};

impl Condition {
    /// Whether the condition holds. A policy variable without a value matches no
    /// context value, so it makes positive operators false and negated ones true.
    pub(crate) fn evaluate(&self, keys: &Keys<'_>) -> bool {
        let looked_up = keys.values(&self.key);
        let present = looked_up.as_deref().filter(|values| !values.is_empty());
        if let Values::Null(expected) = &self.values {
            let absent = present.is_none();
            return expected.contains(&absent);
        }
        let negated = self.operator.negated();
        let Some(values) = present else {
            return match self.qualifier {
                _ if self.if_exists => true,
                Qualifier::AllValues => true,
                Qualifier::AnyValue => false,
                Qualifier::Single => negated,
            };
        };
        match self.qualifier {
            Qualifier::Single => {
                let mut any = false;
                for value in values {
                    if self.matches_any(value, keys) {
                        any = true;
                        break;
                    }
                }
                any != negated
            }
            Qualifier::AnyValue => {
                for value in values {
                    if self.matches_any(value, keys) != negated {
                        return true;
                    }
                }
                false
            }
            Qualifier::AllValues => {
                for value in values {
                    if self.matches_any(value, keys) == negated {
                        return false;
                    }
                }
                true
            }
        }
    }

    /// Whether `value` matches one of the policy values, in the operator's positive
    /// sense (`StringNotEquals` tests equality here and negates in `evaluate`).
    fn matches_any(&self, value: &ContextValue, keys: &Keys<'_>) -> bool {
        match &self.values {
            Values::Strings(matchers) => {
                let text = value.as_text();
                let ignore_case = matches!(
                    self.operator,
                    Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase
                );
                for matcher in matchers {
                    // A variable without a value is "effectively null": no value
                    // equals it, so positive operators do not match and negated
                    // operators do (reference_policies_variables.html#policy-vars-no-value).
                    let found = if ignore_case {
                        matcher
                            .resolve(keys)
                            .is_ok_and(|resolved| equal_ignoring_case(&resolved, &text))
                    } else {
                        matcher.matches(&text, false, keys).unwrap_or(false)
                    };
                    if found {
                        return true;
                    }
                }
                false
            }
            Values::Arns(matchers) => {
                let text = value.as_text();
                for matcher in matchers {
                    if matcher.matches(&text, keys).unwrap_or(false) {
                        return true;
                    }
                }
                false
            }
            Values::Numbers(numbers) => {
                let Some(actual) = number_of(value) else {
                    return false;
                };
                let comparison = comparison(self.operator);
                numbers
                    .iter()
                    .any(|expected| compare(comparison, actual.partial_cmp(expected)))
            }
            Values::Dates(dates) => {
                let Some(actual) = date_of(value) else {
                    return false;
                };
                let comparison = comparison(self.operator);
                dates
                    .iter()
                    .any(|expected| compare(comparison, Some(actual.cmp(expected))))
            }
            Values::Bools(flags) => {
                let actual = match value {
                    ContextValue::Bool(flag) => Some(*flag),
                    other => parse_bool(&other.as_text()),
                };
                actual.is_some_and(|actual| flags.contains(&actual))
            }
            Values::Binary(blobs) => {
                let actual: Option<Cow<'_, [u8]>> = match value {
                    ContextValue::Binary(bytes) => Some(Cow::Borrowed(bytes)),
                    other => parse_base64(&other.as_text()).map(Cow::Owned),
                };
                actual.is_some_and(|actual| {
                    blobs.iter().any(|blob| blob.as_slice() == actual.as_ref())
                })
            }
            Values::Networks(networks) => {
                let actual = match value {
                    ContextValue::Ip(address) => Some(*address),
                    other => {
                        let text = other.as_text();
                        text.trim()
                            .parse::<std::net::IpAddr>()
                            .ok()
                            .or_else(|| parse_network(&text).map(|network| network.addr()))
                    }
                };
                actual.is_some_and(|address| {
                    networks.iter().any(|network| network.contains(&address))
                })
            }
            Values::Null(_) => false,
        }
    }
}

fn equal_ignoring_case(left: &str, right: &str) -> bool {
    left.chars()
        .flat_map(char::to_lowercase)
        .eq(right.chars().flat_map(char::to_lowercase))
}

fn number_of(value: &ContextValue) -> Option<f64> {
    match value {
        ContextValue::Number(number) => Some(*number),
        other => parse_number(&other.as_text()),
    }
}

fn date_of(value: &ContextValue) -> Option<i128> {
    match value {
        ContextValue::Date(moment) => Some(moment.unix_timestamp_nanos()),
        other => parse_date(&other.as_text()),
    }
}

fn comparison(operator: Operator) -> Comparison {
    match operator {
        Operator::Numeric(comparison, _) | Operator::Date(comparison, _) => comparison,
        _ => Comparison::Equal,
    }
}

fn compare(comparison: Comparison, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (comparison, ordering),
        (Comparison::Equal, Some(Equal))
            | (Comparison::Less, Some(Less))
            | (Comparison::LessOrEqual, Some(Less | Equal))
            | (Comparison::Greater, Some(Greater))
            | (Comparison::GreaterOrEqual, Some(Greater | Equal))
    )
}
