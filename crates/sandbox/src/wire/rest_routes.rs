//! Routing a request to a service the sandbox does not emulate, from the catalog
//! ([`super::catalog`]): the `SigV4` credential scope's service (the signing name;
//! unsigned, the host's endpoint prefix or the `X-Amz-Target` prefix) picks the
//! candidate services, then `X-Amz-Target` names a JSON operation, `Action` a query or
//! EC2 one, and for REST-JSON and REST-XML the method and the URI template do:
//! `{Label}` is one path segment, `{Key+}` the rest of the path, and the template's
//! query literals (`?versions`, `?list-type=2`) must be in the query string. The most
//! specific template wins (most literal segments, then most query literals).
//!
//! The services the registry emulates ([`Catalog::emulates`]) are never routed here.

use super::catalog::{self, Operation, Protocol, Service};
use super::{Catalog, HttpRequest};

/// Where a request goes: the service, the protocol it speaks, and the operation if one
/// matched.
#[derive(Debug, Clone, Copy)]
pub struct Routed {
    pub service: &'static Service,
    pub protocol: Protocol,
    pub operation: Option<&'static Operation>,
}

/// The route of a request to a service the sandbox does not emulate, or `None` (an
/// emulated service, or one no signature, host or target names).
pub fn find(
    request: &HttpRequest,
    form: &[(String, String)],
    scoped: Option<&str>,
    emulated: &dyn Catalog,
) -> Option<Routed> {
    let target = request.header("x-amz-target");
    let candidates: Vec<&'static Service> = match scoped {
        Some(name) if emulated.emulates(name) => return None,
        Some(name) => catalog::services()
            .iter()
            .filter(|service| service.signing_name == name)
            .collect(),
        None => unsigned_candidates(request, target, emulated),
    };
    if candidates.is_empty() {
        return None;
    }
    let action = form
        .iter()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.as_str());
    if let Some(target) = target {
        let (prefix, operation) = target.rsplit_once('.').unwrap_or((target, ""));
        let service = candidates
            .iter()
            .find(|service| service.speaks(Protocol::Json) && service.target_prefix == Some(prefix))
            .or_else(|| {
                candidates
                    .iter()
                    .find(|service| service.speaks(Protocol::Json))
            })
            .or(candidates.first())?;
        return Some(Routed {
            service,
            protocol: Protocol::Json,
            operation: service.operation(operation),
        });
    }
    if let Some(action) = action {
        let version = form
            .iter()
            .find(|(key, _)| key == "Version")
            .map(|(_, value)| value.as_str());
        let query: Vec<&&'static Service> = candidates
            .iter()
            .filter(|service| service.speaks(Protocol::Query) || service.speaks(Protocol::Ec2))
            .collect();
        let service = query
            .iter()
            .find(|service| {
                Some(service.api_version) == version && service.operation(action).is_some()
            })
            .or_else(|| {
                query
                    .iter()
                    .find(|service| service.operation(action).is_some())
            })
            .or(query.first());
        if let Some(service) = service {
            let protocol = if service.speaks(Protocol::Ec2) {
                Protocol::Ec2
            } else {
                Protocol::Query
            };
            return Some(Routed {
                service,
                protocol,
                operation: service.operation(action),
            });
        }
    }
    let rest: Vec<&'static Service> = candidates
        .iter()
        .copied()
        .filter(|service| service.protocol().is_rest())
        .collect();
    let query_pairs = request.query_pairs();
    // Split once: a long path is not split again for each template.
    let given = segments(&request.path);
    let best = rest
        .iter()
        .flat_map(|service| {
            service
                .operations
                .iter()
                .map(move |operation| (*service, operation))
        })
        .filter(|(_, operation)| operation.method == request.method)
        .filter_map(|(service, operation)| {
            matches(operation.uri, &given, &query_pairs).map(|score| (score, service, operation))
        })
        .max_by_key(|(score, _, _)| *score);
    if let Some((_, service, operation)) = best {
        return Some(Routed {
            service,
            protocol: service.protocol(),
            operation: Some(operation),
        });
    }
    let service = rest.first().or(candidates.first())?;
    Some(Routed {
        service,
        protocol: service.protocol(),
        operation: None,
    })
}

/// Unsigned: the service the `X-Amz-Target` prefix names, else the host's endpoint
/// prefix (`lambda.us-east-1.amazonaws.com`); an unsigned request to a bare host is
/// S3's (anonymous reads of public buckets) and not routed here.
fn unsigned_candidates(
    request: &HttpRequest,
    target: Option<&str>,
    emulated: &dyn Catalog,
) -> Vec<&'static Service> {
    if let Some(target) = target {
        let prefix = target.rsplit_once('.').map_or(target, |(prefix, _)| prefix);
        return catalog::services()
            .iter()
            .filter(|service| service.target_prefix == Some(prefix))
            .filter(|service| !emulated.emulates(service.signing_name))
            .collect();
    }
    // `prefix.amazonaws.com` or `prefix.region.amazonaws.com`, never a bucket's
    // virtual host (`bucket.s3.amazonaws.com`, `bucket.s3.region.amazonaws.com`).
    let host = request.host();
    let Some((first, rest)) = host
        .strip_suffix(".amazonaws.com")
        .map(|name| name.split_once('.').unwrap_or((name, "")))
    else {
        return Vec::new();
    };
    if rest.contains('.') || rest.starts_with("s3") {
        return Vec::new();
    }
    catalog::services()
        .iter()
        .filter(|service| service.endpoint_prefix == first)
        .filter(|service| !emulated.emulates(service.signing_name))
        .collect()
}

/// How specifically `template` matches the request's path and query: `None` when it
/// does not; else (literal segments, query literals, no greedy label) to compare.
pub(super) fn matches(
    template: &str,
    given: &[&str],
    query: &[(String, String)],
) -> Option<(usize, usize, bool)> {
    let (template_path, template_query) = template.split_once('?').unwrap_or((template, ""));
    let wanted: Vec<&str> = segments(template_path);
    let mut literals = 0;
    let mut greedy = false;
    let mut index = 0;
    for (position, part) in wanted.iter().enumerate() {
        if part.starts_with('{') && part.ends_with("+}") {
            // The rest of the path, at least one segment; the template ends here.
            if position + 1 != wanted.len() || index >= given.len() {
                return None;
            }
            greedy = true;
            index = given.len();
            break;
        }
        let segment = given.get(index)?;
        if !segment_matches(part, segment) {
            return None;
        }
        if !part.contains('{') {
            literals += 1;
        }
        index += 1;
    }
    if index != given.len() {
        return None;
    }
    let mut query_literals = 0;
    for literal in template_query
        .split('&')
        .filter(|literal| !literal.is_empty())
    {
        let (key, value) = literal
            .split_once('=')
            .map_or((literal, None), |(key, value)| (key, Some(value)));
        let present = query
            .iter()
            .any(|(name, given)| name == key && value.is_none_or(|value| value == given));
        if !present {
            return None;
        }
        query_literals += 1;
    }
    Some((literals, query_literals, !greedy))
}

/// The path's segments, without the empty ones a leading or trailing `/` makes.
pub(super) fn segments(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .collect()
}

/// A template segment against a request segment: a literal is equal; a segment with a
/// `{Label}` matches its literal prefix and suffix around a non-empty value.
fn segment_matches(template: &str, segment: &str) -> bool {
    let Some((prefix, rest)) = template.split_once('{') else {
        return template == segment;
    };
    let Some((_, suffix)) = rest.split_once('}') else {
        return template == segment;
    };
    segment.len() > prefix.len() + suffix.len()
        && segment.starts_with(prefix)
        && segment.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emulated services as the registry lists them (the wire's tests cannot
    /// name the registry, a layer above).
    struct Emulated;

    impl Catalog for Emulated {
        fn protocol(&self, signing_name: &str) -> Option<crate::wire::Protocol> {
            match signing_name {
                "iam" | "sts" | "cloudformation" => Some(crate::wire::Protocol::Query),
                "s3" => Some(crate::wire::Protocol::RestXml),
                _ => None,
            }
        }
        fn by_endpoint(&self, _: &str) -> Option<(&'static str, crate::wire::Protocol)> {
            None
        }
        fn by_action(&self, _: &str) -> Option<&'static str> {
            None
        }
        fn api_version(&self, _: &str) -> Option<&'static str> {
            None
        }
    }

    fn find(
        request: &HttpRequest,
        form: &[(String, String)],
        scoped: Option<&str>,
    ) -> Option<Routed> {
        super::find(request, form, scoped, &Emulated)
    }

    fn request(method: &str, path: &str, query: &str) -> HttpRequest {
        HttpRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: vec![("host".to_owned(), "127.0.0.1:4566".to_owned())],
            ..HttpRequest::default()
        }
    }

    fn names(routed: Option<Routed>) -> Option<(&'static str, Option<&'static str>)> {
        routed.map(|routed| {
            (
                routed.service.name,
                routed.operation.map(|operation| operation.name),
            )
        })
    }

    #[test]
    fn templates_match_labels_greedy_labels_and_query_literals() {
        assert_eq!(
            matches("/restapis", &segments("/restapis"), &[]),
            Some((1, 0, true))
        );
        assert_eq!(matches("/restapis/{id}", &segments("/restapis"), &[]), None);
        assert_eq!(
            matches("/restapis/{id}", &segments("/restapis/abc"), &[]),
            Some((1, 0, true))
        );
        assert_eq!(
            matches("/{Bucket}/{Key+}", &segments("/b/a/b/c"), &[]),
            Some((0, 0, false))
        );
        assert_eq!(matches("/{Bucket}/{Key+}", &segments("/b"), &[]), None);
        assert_eq!(matches("/{Bucket}?versions", &segments("/b"), &[]), None);
        let versions = [("versions".to_owned(), String::new())];
        assert_eq!(
            matches("/{Bucket}?versions", &segments("/b"), &versions),
            Some((0, 1, true))
        );
        let list = [("list-type".to_owned(), "2".to_owned())];
        assert_eq!(
            matches("/{Bucket}?list-type=2", &segments("/b"), &list),
            Some((0, 1, true))
        );
        let other = [("list-type".to_owned(), "1".to_owned())];
        assert_eq!(
            matches("/{Bucket}?list-type=2", &segments("/b"), &other),
            None
        );
        // A trailing slash is the same path.
        assert!(
            matches(
                "/2015-03-31/functions",
                &segments("/2015-03-31/functions/"),
                &[]
            )
            .is_some()
        );
        assert!(segment_matches("{Name}.json", "a.json"));
        assert!(!segment_matches("{Name}.json", ".json"));
    }

    #[test]
    fn rest_requests_route_by_signing_name_method_and_template() {
        let list = request("GET", "/2015-03-31/functions/", "");
        assert_eq!(
            names(find(&list, &[], Some("lambda"))),
            Some(("lambda", Some("ListFunctions")))
        );
        let get = request("GET", "/2015-03-31/functions/my-function", "");
        assert_eq!(
            names(find(&get, &[], Some("lambda"))),
            Some(("lambda", Some("GetFunction")))
        );
        let zones = request("GET", "/2013-04-01/hostedzone", "");
        assert_eq!(
            names(find(&zones, &[], Some("route53"))),
            Some(("route53", Some("ListHostedZones")))
        );
        // API Gateway v1 and v2 share the signing name; the template tells them apart.
        let apis = request("GET", "/restapis", "");
        assert_eq!(
            names(find(&apis, &[], Some("apigateway"))),
            Some(("apigateway", Some("GetRestApis")))
        );
        let v2 = request("GET", "/v2/apis", "");
        assert_eq!(
            names(find(&v2, &[], Some("apigateway"))),
            Some(("apigatewayv2", Some("GetApis")))
        );
        let nothing = request("GET", "/no/such/path/here/at/all", "");
        assert_eq!(
            names(find(&nothing, &[], Some("lambda"))),
            Some(("lambda", None))
        );
    }

    #[test]
    fn hostile_paths_and_targets_route_without_panic() {
        let long = request("GET", &"/a".repeat(200_000), "");
        assert_eq!(
            names(find(&long, &[], Some("lambda"))),
            Some(("lambda", None))
        );
        let slashes = request("GET", &"/".repeat(200_000), "x=%ZZ&&=");
        assert!(find(&slashes, &[], Some("route53")).is_some());
        for target in ["", ".", "DynamoDB_20120810.", "..NoSuch", "\u{0}"] {
            let mut odd = request("POST", "/", "");
            odd.headers
                .push(("x-amz-target".to_owned(), target.to_owned()));
            let routed = find(&odd, &[], Some("dynamodb"));
            assert!(
                routed.is_some_and(|routed| routed.operation.is_none()),
                "{target}"
            );
        }
    }

    #[test]
    fn json_and_query_requests_route_by_target_and_action() {
        let mut tables = request("POST", "/", "");
        tables.headers.push((
            "x-amz-target".to_owned(),
            "DynamoDB_20120810.ListTables".to_owned(),
        ));
        assert_eq!(
            names(find(&tables, &[], Some("dynamodb"))),
            Some(("dynamodb", Some("ListTables")))
        );
        // Unsigned, the target alone names the service.
        assert_eq!(
            names(find(&tables, &[], None)),
            Some(("dynamodb", Some("ListTables")))
        );
        let mut streams = request("POST", "/", "");
        streams.headers.push((
            "x-amz-target".to_owned(),
            "DynamoDBStreams_20120810.ListStreams".to_owned(),
        ));
        assert_eq!(
            names(find(&streams, &[], Some("dynamodb"))),
            Some(("dynamodbstreams", Some("ListStreams")))
        );
        let form = |action: &str| vec![("Action".to_owned(), action.to_owned())];
        let post = request("POST", "/", "");
        let topics = find(&post, &form("ListTopics"), Some("sns"));
        assert_eq!(names(topics), Some(("sns", Some("ListTopics"))));
        assert_eq!(topics.map(|routed| routed.protocol), Some(Protocol::Query));
        let instances = find(&post, &form("DescribeInstances"), Some("ec2"));
        assert_eq!(instances.map(|routed| routed.protocol), Some(Protocol::Ec2));
        // CloudWatch answers its query protocol too.
        let alarms = find(&post, &form("DescribeAlarms"), Some("monitoring"));
        assert_eq!(alarms.map(|routed| routed.protocol), Some(Protocol::Query));
    }

    #[test]
    fn emulated_and_unnamed_services_are_not_routed_here() {
        let post = request("POST", "/", "");
        let form = vec![("Action".to_owned(), "ListUsers".to_owned())];
        assert!(find(&post, &form, Some("iam")).is_none());
        assert!(find(&request("GET", "/bucket/key", ""), &[], Some("s3")).is_none());
        assert!(find(&request("GET", "/bucket/key", ""), &[], None).is_none());
        assert!(find(&post, &[], Some("no-such-service")).is_none());
        let mut named = request("GET", "/2015-03-31/functions/", "");
        named.headers = vec![(
            "host".to_owned(),
            "lambda.us-east-1.amazonaws.com".to_owned(),
        )];
        assert_eq!(
            names(find(&named, &[], None)),
            Some(("lambda", Some("ListFunctions")))
        );
        // A bucket named like a service, on its virtual host, is S3's.
        for host in [
            "lambda.s3.amazonaws.com",
            "lambda.s3.us-east-1.amazonaws.com",
            "lambda.localhost",
        ] {
            named.headers = vec![("host".to_owned(), host.to_owned())];
            assert!(find(&named, &[], None).is_none(), "{host}");
        }
    }
}
