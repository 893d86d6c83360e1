//! The services the sandbox does not emulate, through the SDK-less HTTP path: raw
//! requests signed with `aws-sigv4` (as botocore would send them), answered by
//! `Sandbox::handle` in each protocol family's words: the operator's read answers an
//! empty result, a policy-less user that service's denial (recorded for `explain`), a
//! wrong secret, an unknown key and no signature that family's credential errors, and a
//! write the protocol's "not implemented".
#![expect(clippy::expect_used, reason = "test")]

mod common;

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use awslab_sandbox::Sandbox;
use awslab_sandbox::wire::{HttpRequest, HttpResponse};
use common::{ACCOUNT, Keys};

/// One request: the signing name, method, path with query, headers and body.
struct Call<'a> {
    signing_name: &'a str,
    method: &'a str,
    path_and_query: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
}

impl Call<'_> {
    /// The request, signed with `keys` (or unsigned).
    fn request(&self, keys: Option<&Keys>) -> HttpRequest {
        let uri = format!("http://127.0.0.1:4566{}", self.path_and_query);
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        // Unsigned, the host is what names the service (as AWS's endpoints do); a bare
        // loopback host with no signature is S3's, for anonymous reads.
        let host = if keys.is_some() {
            "127.0.0.1:4566".to_owned()
        } else {
            format!("{}.us-east-1.amazonaws.com", self.signing_name)
        };
        headers.push(("host".to_owned(), host));
        if let Some(keys) = keys {
            let identity =
                Credentials::new(&keys.id, &keys.secret, keys.token.clone(), None, "test").into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name(self.signing_name)
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .expect("params")
                .into();
            let signable = SignableRequest::new(
                self.method,
                &uri,
                headers
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str())),
                SignableBody::Bytes(self.body),
            )
            .expect("signable");
            let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
            for (name, value) in instructions.headers() {
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        }
        let (path, query) = self
            .path_and_query
            .split_once('?')
            .unwrap_or((self.path_and_query, ""));
        HttpRequest {
            method: self.method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: self.body.to_vec(),
            source_ip: None,
            spooled: None,
        }
    }
}

fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(header, _)| header == name)
        .map(|(_, value)| value.as_str())
}

fn text(response: &HttpResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The error code of an answer, whatever its protocol.
fn code(response: &HttpResponse) -> String {
    if let Some(code) = header(response, "x-amzn-errortype") {
        return code.to_owned();
    }
    let body = text(response);
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_default()
}

struct Lab {
    sandbox: Sandbox,
    operator: Keys,
    nobody: Keys,
}

impl Lab {
    async fn new() -> Lab {
        let sandbox = Sandbox::in_memory();
        let operator = Keys::operator(&sandbox, ACCOUNT);
        let nobody = common::user_with_key(&sandbox, "nobody").await;
        Lab {
            sandbox,
            operator,
            nobody,
        }
    }

    fn send(&self, call: &Call<'_>, keys: Option<&Keys>) -> HttpResponse {
        self.sandbox.handle(&call.request(keys))
    }

    /// Checks the five answers of `read` and the write's refusal.
    fn family(
        &self,
        read: &Call<'_>,
        empty: &str,
        denied: (u16, &str),
        write: &Call<'_>,
        errors: &Family,
    ) {
        let listed = self.send(read, Some(&self.operator));
        assert_eq!(listed.status, 200, "{}", text(&listed));
        assert!(text(&listed).contains(empty), "{}", text(&listed));

        let refused = self.send(read, Some(&self.nobody));
        assert_eq!(
            (refused.status, code(&refused).as_str()),
            denied,
            "{}",
            text(&refused)
        );
        assert!(
            text(&refused).contains("user/nobody") && text(&refused).contains("is not authorized"),
            "{}",
            text(&refused)
        );
        let request_id = header(&refused, "x-amzn-requestid").expect("request id");
        let explained = self
            .sandbox
            .explain(request_id)
            .expect("explain")
            .expect("recorded");
        assert!(explained.contains("user/nobody"), "{explained}");

        let wrong = Keys {
            secret: "not-the-secret".to_owned(),
            ..self.operator.clone()
        };
        let answer = self.send(read, Some(&wrong));
        assert_eq!(
            (answer.status, code(&answer).as_str()),
            errors.wrong_secret,
            "{}",
            text(&answer)
        );
        assert!(!text(&answer).contains(&self.operator.secret));

        let unknown = Keys {
            id: "AKIAUNKNOWNUNKNOWN00".to_owned(),
            ..self.operator.clone()
        };
        let answer = self.send(read, Some(&unknown));
        assert_eq!(
            (answer.status, code(&answer).as_str()),
            errors.unknown_key,
            "{}",
            text(&answer)
        );

        let answer = self.send(read, None);
        assert_eq!(
            (answer.status, code(&answer).as_str()),
            errors.unsigned,
            "{}",
            text(&answer)
        );

        let answer = self.send(write, Some(&self.operator));
        assert_eq!(
            (answer.status, code(&answer).as_str()),
            errors.write,
            "{}",
            text(&answer)
        );
    }
}

/// A family's answers: (status, code) for a wrong secret, an unknown key, no
/// signature, and an allowed write.
struct Family {
    wrong_secret: (u16, &'static str),
    unknown_key: (u16, &'static str),
    unsigned: (u16, &'static str),
    write: (u16, &'static str),
}

const REST_JSON: Family = Family {
    wrong_secret: (403, "InvalidSignatureException"),
    unknown_key: (403, "UnrecognizedClientException"),
    unsigned: (403, "MissingAuthenticationTokenException"),
    write: (501, "NotImplemented"),
};

#[tokio::test]
async fn rest_json_lambda_and_api_gateway() {
    let lab = Lab::new().await;
    let read = Call {
        signing_name: "lambda",
        method: "GET",
        path_and_query: "/2015-03-31/functions/",
        headers: &[],
        body: b"",
    };
    let write = Call {
        signing_name: "lambda",
        method: "POST",
        path_and_query: "/2015-03-31/functions",
        headers: &[("content-type", "application/json")],
        body: b"{\"FunctionName\":\"f\"}",
    };
    lab.family(
        &read,
        r#"{"Functions":[]}"#,
        (403, "AccessDeniedException"),
        &write,
        &REST_JSON,
    );

    let read = Call {
        signing_name: "apigateway",
        method: "GET",
        path_and_query: "/restapis",
        headers: &[],
        body: b"",
    };
    let write = Call {
        signing_name: "apigateway",
        method: "POST",
        path_and_query: "/restapis",
        headers: &[("content-type", "application/json")],
        body: b"{\"name\":\"api\"}",
    };
    lab.family(
        &read,
        r#"{"item":[]}"#,
        (403, "AccessDeniedException"),
        &write,
        &REST_JSON,
    );
    // API Gateway authorizes the verb on the path.
    let refused = lab.send(&read, Some(&lab.nobody));
    assert!(
        text(&refused)
            .contains("apigateway:GET on resource: arn:aws:apigateway:us-east-1::/restapis"),
        "{}",
        text(&refused)
    );
}

#[tokio::test]
async fn rest_xml_route_53() {
    let lab = Lab::new().await;
    let read = Call {
        signing_name: "route53",
        method: "GET",
        path_and_query: "/2013-04-01/hostedzone",
        headers: &[],
        body: b"",
    };
    let write = Call {
        signing_name: "route53",
        method: "POST",
        path_and_query: "/2013-04-01/hostedzone",
        headers: &[("content-type", "text/xml")],
        body: b"<CreateHostedZoneRequest/>",
    };
    let errors = Family {
        wrong_secret: (403, "SignatureDoesNotMatch"),
        unknown_key: (403, "InvalidClientTokenId"),
        unsigned: (403, "MissingAuthenticationToken"),
        write: (501, "NotImplemented"),
    };
    lab.family(
        &read,
        "<ListHostedZonesResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZones/></ListHostedZonesResponse>",
        (403, "AccessDenied"),
        &write,
        &errors,
    );
}

#[tokio::test]
async fn json_dynamodb() {
    let lab = Lab::new().await;
    let headers = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "DynamoDB_20120810.ListTables"),
    ];
    let read = Call {
        signing_name: "dynamodb",
        method: "POST",
        path_and_query: "/",
        headers: &headers,
        body: b"{}",
    };
    let create = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "DynamoDB_20120810.CreateTable"),
    ];
    let write = Call {
        headers: &create,
        ..Call { ..read }
    };
    let errors = Family {
        wrong_secret: (400, "InvalidSignatureException"),
        unknown_key: (400, "UnrecognizedClientException"),
        unsigned: (400, "MissingAuthenticationTokenException"),
        write: (501, "NotImplemented"),
    };
    let read = Call {
        signing_name: "dynamodb",
        method: "POST",
        path_and_query: "/",
        headers: &headers,
        body: b"{}",
    };
    lab.family(
        &read,
        r#"{"TableNames":[]}"#,
        (403, "AccessDeniedException"),
        &write,
        &errors,
    );
}

#[tokio::test]
async fn query_sns_and_ec2() {
    let lab = Lab::new().await;
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    let read = Call {
        signing_name: "sns",
        method: "POST",
        path_and_query: "/",
        headers: &form,
        body: b"Action=ListTopics&Version=2010-03-31",
    };
    let write = Call {
        body: b"Action=CreateTopic&Version=2010-03-31&Name=lab",
        ..Call { ..read }
    };
    let read = Call {
        signing_name: "sns",
        method: "POST",
        path_and_query: "/",
        headers: &form,
        body: b"Action=ListTopics&Version=2010-03-31",
    };
    let errors = Family {
        wrong_secret: (403, "SignatureDoesNotMatch"),
        unknown_key: (403, "InvalidClientTokenId"),
        unsigned: (403, "MissingAuthenticationToken"),
        write: (501, "NotImplemented"),
    };
    lab.family(
        &read,
        "<ListTopicsResult><Topics/></ListTopicsResult>",
        (403, "AuthorizationError"),
        &write,
        &errors,
    );

    let read = Call {
        signing_name: "ec2",
        method: "POST",
        path_and_query: "/",
        headers: &form,
        body: b"Action=DescribeInstances&Version=2016-11-15",
    };
    let write = Call {
        signing_name: "ec2",
        method: "POST",
        path_and_query: "/",
        headers: &form,
        body: b"Action=RunInstances&Version=2016-11-15&MinCount=1&MaxCount=1",
    };
    let errors = Family {
        wrong_secret: (401, "AuthFailure"),
        unknown_key: (401, "AuthFailure"),
        unsigned: (401, "MissingAuthenticationToken"),
        write: (400, "UnsupportedOperation"),
    };
    lab.family(
        &read,
        "<reservationSet/>",
        (403, "UnauthorizedOperation"),
        &write,
        &errors,
    );
    let refused = lab.send(&read, Some(&lab.nobody));
    assert!(
        text(&refused).contains("<Response><Errors><Error><Code>UnauthorizedOperation</Code>")
            && text(&refused).contains("Encoded authorization failure message: "),
        "{}",
        text(&refused)
    );
}

#[tokio::test]
async fn a_policy_allowing_one_action_allows_that_read_only() {
    let lab = Lab::new().await;
    let iam = common::iam(&lab.sandbox, &lab.operator);
    iam.put_user_policy()
        .user_name("nobody")
        .policy_name("lambda-list")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:ListFunctions","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("put policy");
    let list = Call {
        signing_name: "lambda",
        method: "GET",
        path_and_query: "/2015-03-31/functions/",
        headers: &[],
        body: b"",
    };
    assert_eq!(lab.send(&list, Some(&lab.nobody)).status, 200);
    let get = Call {
        path_and_query: "/2015-03-31/functions/my-function",
        ..Call { ..list }
    };
    let refused = lab.send(&get, Some(&lab.nobody));
    assert_eq!(
        code(&refused),
        "AccessDeniedException",
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains("lambda:GetFunction"),
        "{}",
        text(&refused)
    );
}

#[tokio::test]
async fn an_unknown_operation_is_named_once_authenticated() {
    let lab = Lab::new().await;
    let headers = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amz-target", "DynamoDB_20120810.NoSuchOperation"),
    ];
    let call = Call {
        signing_name: "dynamodb",
        method: "POST",
        path_and_query: "/",
        headers: &headers,
        body: b"{}",
    };
    let answer = lab.send(&call, Some(&lab.operator));
    assert_eq!(
        (answer.status, code(&answer).as_str()),
        (400, "UnknownOperationException")
    );
    let answer = lab.send(&call, None);
    assert_eq!(code(&answer), "MissingAuthenticationTokenException");
    let path = Call {
        signing_name: "lambda",
        method: "GET",
        path_and_query: "/no/such/lambda/path",
        headers: &[],
        body: b"",
    };
    let answer = lab.send(&path, Some(&lab.operator));
    assert_eq!(
        (answer.status, code(&answer).as_str()),
        (404, "UnknownOperationException")
    );
}
