//! The one registry of the services the sandbox emulates: for each, its protocol, API
//! version, signing name, endpoint prefix, the operations it answers (each with the
//! checks that authorize it and its handler) and the `CloudFormation` types it owns.
//! Routing (through [`Registry`], the wire's [`Catalog`]), dispatch, the "could not find
//! operation" answer and `awslab sandbox status` read only this table; a service folder
//! that is not listed here is never reached (its operation table is dead code, which the
//! compiler flags). See "How to add a service" in `docs/architecture.md`.

use super::cloudformation::types::ResourceType;
use super::{ApiError, CommonError, Handle, Operation, Shape, cloudformation, iam, s3, sts};
use crate::wire::{Catalog, Protocol};

/// How a service's operations are run.
pub enum Handlers {
    /// Each operation declares its checks, all authorized before it runs, in one
    /// transaction (IAM, STS).
    Checked(&'static [&'static [Operation]]),
    /// Each operation is given the whole call (its region, the authorizer for what it
    /// decides as it goes): `CloudFormation`'s own action is authorized by its checks,
    /// then each resource call of a stack as the caller (or its role).
    Stacks(&'static [cloudformation::StackOperation]),
    /// REST operations, named by the wire from the service's route table and read
    /// from a protocol-neutral input; each declares its checks and answers the
    /// service's typed output (S3's, encoded as REST-XML).
    Rest(&'static [&'static [s3::RestOperation]]),
}

/// One emulated service.
pub struct Service {
    /// The service's name in IAM actions (`iam:`, `s3:`).
    pub name: &'static str,
    pub protocol: Protocol,
    /// botocore's `metadata.apiVersion`.
    pub api_version: &'static str,
    /// The `SigV4` credential scope's service (`metadata.signingName`).
    pub signing_name: &'static str,
    /// The first label of the service's hosts (`metadata.endpointPrefix`).
    pub endpoint_prefix: &'static str,
    pub handlers: Handlers,
    /// Operations called without a signature (STS's web identity and SAML).
    pub unsigned: &'static [&'static str],
    /// The `CloudFormation` resource types this service owns (`AWS::IAM::User`...),
    /// each a [`ResourceType`] in the service's `cfn` folder; `CloudFormation` finds a
    /// template's types only here.
    pub resource_types: &'static [&'static dyn ResourceType],
}

/// Every emulated service. A service is one line here plus its folder.
pub static SERVICES: &[Service] = &[
    Service {
        name: "iam",
        protocol: Protocol::Query,
        api_version: "2010-05-08",
        signing_name: "iam",
        endpoint_prefix: "iam",
        handlers: Handlers::Checked(iam::OPERATIONS),
        unsigned: &[],
        resource_types: iam::cfn::TYPES,
    },
    Service {
        name: "sts",
        protocol: Protocol::Query,
        api_version: "2011-06-15",
        signing_name: "sts",
        endpoint_prefix: "sts",
        handlers: Handlers::Checked(&[sts::OPERATIONS]),
        unsigned: sts::UNSIGNED,
        resource_types: &[],
    },
    Service {
        name: "s3",
        protocol: Protocol::RestXml,
        api_version: "2006-03-01",
        signing_name: "s3",
        endpoint_prefix: "s3",
        handlers: Handlers::Rest(s3::OPERATIONS),
        unsigned: &[],
        resource_types: s3::cfn::TYPES,
    },
    Service {
        name: "cloudformation",
        protocol: Protocol::Query,
        api_version: "2010-05-15",
        signing_name: "cloudformation",
        endpoint_prefix: "cloudformation",
        handlers: Handlers::Stacks(cloudformation::OPERATIONS),
        unsigned: &[],
        resource_types: &[],
    },
];

/// Every checked operation by service and name, built from [`SERVICES`] on first use:
/// a request finds its operation without scanning IAM's tables.
fn checked_index() -> &'static OperationIndex {
    static INDEX: std::sync::OnceLock<OperationIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        SERVICES
            .iter()
            .filter_map(|service| match service.handlers {
                Handlers::Checked(tables) => {
                    let mut by_name = std::collections::HashMap::new();
                    for operation in tables.iter().flat_map(|table| table.iter()) {
                        // The first of a name answers, as a scan of the tables would.
                        by_name.entry(operation.name).or_insert(operation);
                    }
                    Some((service.name, by_name))
                }
                Handlers::Stacks(_) | Handlers::Rest(_) => None,
            })
            .collect()
    })
}

type OperationIndex = std::collections::HashMap<
    &'static str,
    std::collections::HashMap<&'static str, &'static Operation>,
>;

/// The registered service that signs as `name`.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|service| service.signing_name == name)
}

impl Service {
    /// The checked operation `name` (IAM, STS).
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        checked_index().get(self.name)?.get(name).copied()
    }

    /// The REST operation `name` (S3).
    pub fn rest_operation(&self, name: &str) -> Option<&'static s3::RestOperation> {
        match self.handlers {
            Handlers::Rest(tables) => tables
                .iter()
                .flat_map(|table| table.iter())
                .find(|operation| operation.name == name),
            Handlers::Checked(_) | Handlers::Stacks(_) => None,
        }
    }

    /// Operation `name`, as the dispatcher runs every operation answered in the query
    /// protocol: its checks, all authorized, then its handler.
    pub fn handler(&self, name: &str) -> Option<&'static dyn Handle<Shape>> {
        match self.handlers {
            Handlers::Checked(_) => self
                .operation(name)
                .map(|operation| operation as &dyn Handle<Shape>),
            Handlers::Stacks(_) => self
                .stack_operation(name)
                .map(|operation| operation as &dyn Handle<Shape>),
            Handlers::Rest(_) => None,
        }
    }

    /// The stack operation `name` (`CloudFormation`).
    pub fn stack_operation(&self, name: &str) -> Option<&'static cloudformation::StackOperation> {
        match self.handlers {
            Handlers::Stacks(operations) => {
                operations.iter().find(|operation| operation.name == name)
            }
            Handlers::Checked(_) | Handlers::Rest(_) => None,
        }
    }

    /// The names of the operations answered.
    pub fn operation_names(&self) -> Vec<&'static str> {
        match self.handlers {
            Handlers::Rest(tables) => tables
                .iter()
                .flat_map(|table| table.iter())
                .map(|operation| operation.name)
                .collect(),
            Handlers::Checked(tables) => tables
                .iter()
                .flat_map(|table| table.iter())
                .map(|operation| operation.name)
                .collect(),
            Handlers::Stacks(operations) => {
                operations.iter().map(|operation| operation.name).collect()
            }
        }
    }

    /// Whether the service defines `action`, answered or only routed (an unsigned
    /// operation whose handler is still to come).
    pub fn defines(&self, action: &str) -> bool {
        self.unsigned.contains(&action) || self.operation_names().contains(&action)
    }

    /// AWS's answer to an operation the service does not have.
    pub fn unknown_operation(&self, action: &str) -> ApiError {
        ApiError::of(
            CommonError::InvalidAction,
            format!(
                "Could not find operation {action} for version {}",
                self.api_version
            ),
        )
    }
}

/// The registry as the wire's router sees it.
pub struct Registry;

impl Catalog for Registry {
    fn protocol(&self, signing_name: &str) -> Option<Protocol> {
        service(signing_name).map(|service| service.protocol)
    }

    fn by_endpoint(&self, prefix: &str) -> Option<(&'static str, Protocol)> {
        SERVICES
            .iter()
            .find(|service| service.endpoint_prefix == prefix)
            .map(|service| (service.signing_name, service.protocol))
    }

    fn by_action(&self, action: &str) -> Option<&'static str> {
        SERVICES
            .iter()
            .filter(|service| service.protocol == Protocol::Query)
            .find(|service| service.name != "iam" && service.defines(action))
            .map(|service| service.signing_name)
    }

    fn api_version(&self, signing_name: &str) -> Option<&'static str> {
        service(signing_name).map(|service| service.api_version)
    }

    fn answers(&self, signing_name: &str, operation: &str) -> bool {
        service(signing_name).is_some_and(|service| service.rest_operation(operation).is_some())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Registry, SERVICES, service};
    use crate::wire::{Catalog, Protocol};

    #[test]
    fn names_are_unique_within_the_registry_and_each_service() {
        let names: BTreeSet<&str> = SERVICES
            .iter()
            .map(|service| service.signing_name)
            .collect();
        assert_eq!(names.len(), SERVICES.len());
        for service in SERVICES {
            let operations = service.operation_names();
            let unique: BTreeSet<&str> = operations.iter().copied().collect();
            assert_eq!(unique.len(), operations.len(), "{}", service.name);
        }
    }

    #[test]
    fn each_cloudformation_type_is_listed_under_the_service_that_owns_it() {
        let mut listed = BTreeSet::new();
        for service in SERVICES {
            for kind in service.resource_types {
                assert_eq!(
                    kind.service().to_ascii_lowercase(),
                    service.name,
                    "{}",
                    kind.name()
                );
                let prefix = format!("AWS::{}::", service.name.to_ascii_uppercase());
                assert!(kind.name().starts_with(&prefix), "{}", kind.name());
                assert!(listed.insert(kind.name()), "{} twice", kind.name());
            }
        }
        assert!(crate::services::cloudformation::types::find("AWS::IAM::User").is_some());
        assert!(crate::services::cloudformation::types::find("AWS::S3::Bucket").is_some());
    }

    #[test]
    fn every_operation_runs_through_one_handle() {
        for service in SERVICES {
            for name in service.operation_names() {
                // S3's operations answer its typed output; the others a shape.
                let handled =
                    service.handler(name).is_some() || service.rest_operation(name).is_some();
                assert!(handled, "{}:{name}", service.name);
            }
        }
        let cloudformation = service("cloudformation").unwrap();
        assert!(cloudformation.handler("DescribeStacks").is_some());
        assert_eq!(Registry.api_version("cloudformation"), Some("2010-05-15"));
        assert!(Registry.emulates("s3") && !Registry.emulates("lambda"));
        let s3 = service("s3").unwrap();
        assert!(s3.rest_operation("PutObject").is_some());
        assert!(s3.operation_names().contains(&"CompleteMultipartUpload"));
        assert!(Registry.answers("s3", "ListBuckets"));
        assert!(!Registry.answers("s3", "ListDirectoryBuckets"));
    }

    #[test]
    fn routing_reads_the_registry() {
        assert_eq!(Registry.protocol("s3"), Some(Protocol::RestXml));
        assert_eq!(Registry.protocol("lambda"), None);
        assert_eq!(
            Registry.by_endpoint("sts").map(|(name, _)| name),
            Some("sts")
        );
        assert_eq!(Registry.by_action("GetCallerIdentity"), Some("sts"));
        assert_eq!(
            Registry.by_action("DecodeAuthorizationMessage"),
            Some("sts")
        );
        assert_eq!(Registry.by_action("AssumeRoleWithSAML"), Some("sts"));
        assert_eq!(Registry.by_action("CreateUser"), None);
        assert_eq!(Registry.by_action("DescribeStacks"), Some("cloudformation"));
    }

    #[test]
    fn an_unknown_operation_names_the_service_version() {
        let iam = service("iam").unwrap();
        assert!(iam.operation("CreateUser").is_some());
        assert_eq!(
            iam.unknown_operation("Nope").message,
            "Could not find operation Nope for version 2010-05-08"
        );
        let cloudformation = service("cloudformation").unwrap();
        assert!(cloudformation.stack_operation("CreateStack").is_some());
        assert!(cloudformation.operation("CreateStack").is_none());
    }
}
