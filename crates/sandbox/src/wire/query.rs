//! The AWS query protocol: inputs from a form body (POST) or the query string (GET),
//! answers as `<ActionResponse><ActionResult>...` XML, and errors as `ErrorResponse`
//! bodies carrying the request id.

use std::collections::BTreeMap;

use super::xml::{element, write_shape};
use super::{Catalog, HttpRequest, HttpResponse};
use crate::model::{ApiError, Field, Input, MAX_LIST_ITEMS, Shape};

/// The form fields of a query-protocol request (body and query string together).
pub fn form(request: &HttpRequest) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .query_pairs()
        .into_iter()
        .filter(|(key, _)| !key.starts_with("X-Amz-"))
        .collect();
    let form_body = request
        .header("content-type")
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if form_body {
        pairs.extend(
            form_urlencoded::parse(&request.body)
                .map(|(key, value)| (key.into_owned(), value.into_owned())),
        );
    }
    pairs
}

/// The operation's input, without `Action` and `Version`.
pub fn input(form: &[(String, String)]) -> Input {
    decode(
        form.iter()
            .filter(|(key, _)| key != "Action" && key != "Version"),
    )
}

/// Decodes query-protocol members into an [`Input`]: `Name.member.N` (and a map's
/// `Name.entry.N`, and EC2's flattened `Name.N`) is item N of list `Name`;
/// `Name.Sub` is member `Sub` of structure `Name`. A path that contradicts an earlier
/// one (a text then a list under one name) keeps the first.
pub fn decode<'p, K, V>(pairs: impl IntoIterator<Item = &'p (K, V)>) -> Input
where
    K: AsRef<str> + 'p,
    V: AsRef<str> + 'p,
{
    let mut input = Input::default();
    for (key, value) in pairs {
        // AWS's members nest a few levels; a deeper key names nothing and is dropped
        // unread, so no input makes the decoder recurse without bound.
        let path: Vec<&str> = key.as_ref().splitn(MAX_DEPTH + 1, '.').collect();
        if path.len() <= MAX_DEPTH {
            insert(&mut input, &path, value.as_ref());
        }
    }
    input
}

/// The most segments a member path may have (`A.member.1.B.member.2.C` is 7).
const MAX_DEPTH: usize = 32;

/// Sets the member at `path` (never empty: `split` yields one segment at least).
fn insert(input: &mut Input, path: &[&str], value: &str) {
    let Some((name, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        if input.get(name).is_none() && !input.fields().contains_key(*name) {
            *input = std::mem::take(input).text(name, value);
        }
        return;
    }
    let (index, rest) = match rest {
        [marker, number, rest @ ..] if matches!(*marker, "member" | "entry") => {
            (number.parse::<usize>().ok(), rest)
        }
        [number, rest @ ..] => match number.parse::<usize>() {
            Ok(index) => (Some(index), rest),
            Err(_) => (None, rest_of(path)),
        },
        [] => return,
    };
    match index {
        // An index past AWS's longest lists is never read: dropped, so that a request
        // cannot make the input hold more than `MAX_LIST_ITEMS` items per list.
        Some(index) if index == 0 || index > MAX_LIST_ITEMS => {}
        Some(index) => {
            let Field::List(items) = input.entry(name, || Field::List(BTreeMap::new())) else {
                return;
            };
            if rest.is_empty() {
                items
                    .entry(index)
                    .or_insert_with(|| Field::Text(value.to_owned()));
            } else if let Field::Struct(item) = items
                .entry(index)
                .or_insert_with(|| Field::Struct(Input::default()))
            {
                insert(item, rest, value);
            }
        }
        None => {
            if let Field::Struct(member) = input.entry(name, || Field::Struct(Input::default())) {
                insert(member, rest, value);
            }
        }
    }
}

/// `path` without its first segment.
fn rest_of<'a, 'b>(path: &'a [&'b str]) -> &'a [&'b str] {
    path.get(1..).unwrap_or_default()
}

/// Appends the XML namespace of a query service's answers, with the API version the
/// registry gives it (`https://iam.amazonaws.com/doc/2010-05-08/`).
fn push_namespace(out: &mut String, service: &str, catalog: &dyn Catalog) {
    out.push_str("https://");
    out.push_str(service);
    out.push_str(".amazonaws.com/doc/");
    if let Some(version) = catalog.api_version(service) {
        out.push_str(version);
        out.push('/');
    }
}

/// A new answer's body: the XML declaration and the root element `<{name}{suffix}>`
/// opened with the service's namespace (written piece by piece: every query request
/// answers through here).
fn open_document(name: &str, suffix: &str, service: &str, catalog: &dyn Catalog) -> String {
    let mut body = String::with_capacity(512);
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
    body.push_str(name);
    body.push_str(suffix);
    body.push_str(" xmlns=\"");
    push_namespace(&mut body, service, catalog);
    body.push_str("\">");
    body
}

/// A successful answer.
pub fn success(
    service: &str,
    catalog: &dyn Catalog,
    action: &str,
    result: &Shape,
    request_id: &str,
) -> HttpResponse {
    let mut body = open_document(action, "Response", service, catalog);
    body.push('<');
    body.push_str(action);
    if result.fields.is_empty() {
        body.push_str("Result/>");
    } else {
        body.push_str("Result>");
        write_shape(&mut body, result);
        body.push_str("</");
        body.push_str(action);
        body.push_str("Result>");
    }
    body.push_str("<ResponseMetadata>");
    element(&mut body, "RequestId", request_id);
    body.push_str("</ResponseMetadata></");
    body.push_str(action);
    body.push_str("Response>");
    HttpResponse::new(200, "text/xml", body.into_bytes()).header("x-amzn-requestid", request_id)
}

/// An error answer.
pub fn error(
    service: &str,
    catalog: &dyn Catalog,
    error: &ApiError,
    request_id: &str,
) -> HttpResponse {
    let kind = if error.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    let mut body = open_document("ErrorResponse", "", service, catalog);
    body.push_str("<Error>");
    element(&mut body, "Type", kind);
    element(&mut body, "Code", &error.code);
    element(&mut body, "Message", &error.message);
    body.push_str("</Error>");
    element(&mut body, "RequestId", request_id);
    body.push_str("</ErrorResponse>");
    HttpResponse::new(error.status, "text/xml", body.into_bytes())
        .header("x-amzn-requestid", request_id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_lists_and_structures_from_member_paths() {
        let form: Vec<(String, String)> = [
            ("UserName", "alice"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
            ("Tags.member.2.Key", "env"),
            ("ClientIDList.member.1", "sts.amazonaws.com"),
            ("ClientIDList.member.2", "app"),
            ("ClientIDList.member.1001", "dropped"),
            ("Parameters.member.1.ParameterKey", "Name"),
            ("Parameters.member.1.UsePreviousValue", "true"),
            ("Filter.Name", "x"),
        ]
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
        let input = super::decode(&form);
        assert_eq!(input.get("UserName"), Some("alice"));
        assert_eq!(
            input.pairs("Tags", "Key", "Value"),
            [
                ("team".to_owned(), "red".to_owned()),
                ("env".to_owned(), String::new())
            ]
        );
        assert_eq!(input.list("ClientIDList"), ["sts.amazonaws.com", "app"]);
        let parameters = input.structs("Parameters");
        assert_eq!(parameters[0].get("ParameterKey"), Some("Name"));
        assert_eq!(parameters[0].get("UsePreviousValue"), Some("true"));
        assert!(input.get("Filter").is_none());
    }

    #[test]
    fn contradicting_or_too_deep_members_are_ignored() {
        let deep = format!("C{}", ".D".repeat(100_000));
        let form: Vec<(String, String)> = [("A", "text"), ("A.member.1", "x"), ("B..", "y")]
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .chain([(deep, "z".to_owned())])
            .collect();
        let input = super::decode(&form);
        assert_eq!(input.get("A"), Some("text"));
        assert!(input.list("A").is_empty());
        assert!(
            !input.fields().contains_key("C"),
            "a key too deep is dropped"
        );
    }
}
