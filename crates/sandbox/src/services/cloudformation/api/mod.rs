//! The `CloudFormation` operations of the query protocol, with botocore's shapes:
//! stacks (create, update, delete, describe, list), their events, resources and
//! templates, `ValidateTemplate`, and change sets (what `aws cloudformation deploy`
//! uses). Each operation authorizes `cloudformation:<Action>` first; the resources a
//! stack makes are authorized one by one as the caller. This module holds what the
//! operations share (the request, names, capabilities, the acting principal, lookups);
//! `stacks`, `reads` and `change_sets` hold the operations.

use super::engine::{self, Change, Plan};
use super::resources::Actor;
use super::stack::{ChangeSet, KEPT_DELETED, MAX_CHANGE_SETS, MAX_STACKS, Stack, StackEvent};
use super::template::Template;
use crate::auth::Caller;
use crate::services::{ApiError, Check, Input, ResourcePolicy, Shape, Value, tag_list, timestamp};
use crate::state::World;

mod change_sets;
pub mod checks;
mod reads;
mod stacks;

use crate::services::{CloudFormationError, CommonError};
pub use change_sets::*;
pub use reads::*;
pub use stacks::*;

/// The largest `TemplateBody` `CloudFormation` accepts.
pub const MAX_TEMPLATE_BYTES: usize = 51_200;

/// The largest template `CloudFormation` reads from S3 (`TemplateURL`).
pub const MAX_TEMPLATE_URL_BYTES: usize = 1_000_000;

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::of(CommonError::ValidationError, message)
}

/// What one request sees: the input, the caller, the region, the authorizer (every
/// operation's [`Call`](crate::services::Call)).
pub type Request<'a, 'b> = crate::services::Call<'a, 'b>;

impl Request<'_, '_> {
    fn stack_arn_pattern(&self, name: &str) -> String {
        format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/*",
            self.region, self.caller.account
        )
    }

    /// The stack named (or with id) `name` in the caller's account and region.
    fn find(&self, world: &World, name: &str) -> Result<String, ApiError> {
        let candidates = world
            .stacks
            .values()
            .filter(|stack| stack.account == self.caller.account && stack.region == self.region);
        let mut found = None;
        for stack in candidates {
            if stack.id == name {
                return Ok(stack.id.clone());
            }
            if stack.name == name && !stack.is_deleted() {
                found = Some(stack.id.clone());
            }
        }
        found.ok_or_else(|| validation(format!("Stack with id {name} does not exist")))
    }

    fn params(&self) -> Vec<(String, Option<String>, bool)> {
        self.input
            .structs("Parameters")
            .into_iter()
            .take(200)
            .map_while(|parameter| {
                let key = parameter.get("ParameterKey")?;
                let value = parameter.get("ParameterValue").map(str::to_owned);
                let previous = parameter.get("UsePreviousValue") == Some("true");
                Some((key.to_owned(), value, previous))
            })
            .collect()
    }

    /// Given parameters, with `UsePreviousValue` taken from `previous`.
    fn given(&self, previous: &[(String, String)]) -> Vec<(String, String)> {
        self.params()
            .into_iter()
            .filter_map(|(key, value, use_previous)| {
                if use_previous {
                    previous
                        .iter()
                        .find(|(name, _)| *name == key)
                        .map(|(_, value)| (key.clone(), value.clone()))
                } else {
                    Some((key, value.unwrap_or_default()))
                }
            })
            .collect()
    }

    fn tags(&self) -> Option<Vec<(String, String)>> {
        let tags = self.input.pairs("Tags", "Key", "Value");
        (!tags.is_empty()).then_some(tags)
    }

    fn body(&mut self, world: &World, previous: Option<&str>) -> Result<String, ApiError> {
        if self.input.get("UsePreviousTemplate") == Some("true") {
            return previous.map(str::to_owned).ok_or_else(|| {
                validation("UsePreviousTemplate can only be used with an existing stack")
            });
        }
        if let Some(url) = self.input.get("TemplateURL") {
            let url = url.to_owned();
            return self.template_from_s3(world, &url);
        }
        let body = self
            .input
            .get("TemplateBody")
            .ok_or_else(|| validation("Either Template URL or Template Body must be specified."))?;
        if body.len() > MAX_TEMPLATE_BYTES {
            return Err(validation(format!(
                "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to {MAX_TEMPLATE_BYTES}"
            )));
        }
        Ok(body.to_owned())
    }

    /// A `TemplateURL` naming an object of the sandbox's S3 (`https://BUCKET.s3...
    /// .amazonaws.com/KEY` or `https://s3....amazonaws.com/BUCKET/KEY`), read as the
    /// caller (`s3:GetObject`), at most [`MAX_TEMPLATE_URL_BYTES`].
    fn template_from_s3(&mut self, world: &World, url: &str) -> Result<String, ApiError> {
        let unreachable = || validation(format!("TemplateURL must be a supported URL: {url}"));
        let rest = url.strip_prefix("https://").ok_or_else(unreachable)?;
        let (host, path) = rest.split_once('/').ok_or_else(unreachable)?;
        let (bucket, key) = if host.starts_with("s3.") || host.starts_with("s3-") {
            path.split_once('/').ok_or_else(unreachable)?
        } else if let Some((bucket, _)) = host.split_once(".s3") {
            (bucket, path)
        } else {
            return Err(unreachable());
        };
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8_lossy()
            .into_owned();
        let mut check = Check::new("s3:GetObject", format!("arn:aws:s3:::{bucket}/{key}"));
        check.resource_policy = crate::services::ResourcePolicy::Bucket(bucket.to_owned());
        (self.authorize)(world, self.caller, &[check])
            .map_err(|_| validation(format!("Access Denied to the template at {url}")))?;
        let object = world
            .buckets
            .get(bucket)
            .and_then(|found| found.objects.get(&key))
            .ok_or_else(|| validation(format!("The template at {url} does not exist")))?;
        let too_large = || {
            validation(format!(
                "Template may not exceed {MAX_TEMPLATE_URL_BYTES} bytes in size."
            ))
        };
        let body = world
            .blobs
            .read_to_vec(&object.body, MAX_TEMPLATE_URL_BYTES as u64)
            .map_err(|error| {
                validation(format!("The template at {url} could not be read: {error}"))
            })?
            .ok_or_else(too_large)?;
        String::from_utf8(body)
            .map_err(|_| validation("Template format error: the template is not UTF-8"))
    }
}

fn check_stack_name(name: &str) -> Result<(), ApiError> {
    let valid = name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )))
    }
}

fn capabilities(input: &Input) -> Vec<String> {
    input
        .list("Capabilities")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `InsufficientCapabilitiesException` when IAM resources lack their capability.
fn check_capabilities(template: &Template, given: &[String]) -> Result<(), ApiError> {
    let has = |name: &str| given.iter().any(|capability| capability == name);
    match template.needed_capability() {
        Some(true) if !has("CAPABILITY_NAMED_IAM") => Err(ApiError::of(
            CloudFormationError::InsufficientCapabilitiesException,
            "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        )),
        Some(false) if !has("CAPABILITY_IAM") && !has("CAPABILITY_NAMED_IAM") => Err(ApiError::of(
            CloudFormationError::InsufficientCapabilitiesException,
            "Requires capabilities : [CAPABILITY_IAM]",
        )),
        _ => Ok(()),
    }
}

/// AWS's quota of stacks per account and region.
fn check_stack_quota(world: &World, request: &Request) -> Result<(), ApiError> {
    let live = world
        .stacks
        .values()
        .filter(|stack| {
            stack.account == request.caller.account
                && stack.region == request.region
                && stack.deleted.is_none()
        })
        .count();
    if live >= MAX_STACKS {
        return Err(ApiError::of(
            CloudFormationError::LimitExceededException,
            format!("Limit on the number of stacks has been exceeded ({MAX_STACKS})"),
        ));
    }
    Ok(())
}

fn new_stack(world: &World, request: &Request, name: &str) -> Stack {
    Stack {
        id: format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/{}",
            request.region,
            request.caller.account,
            crate::ids::request_id()
        ),
        name: name.to_owned(),
        account: request.caller.account.clone(),
        region: request.region.to_owned(),
        created: world.now(),
        shown_at: world.now(),
        ..Stack::default()
    }
}

fn no_echo(template: &Template) -> Vec<String> {
    template
        .parameters
        .iter()
        .filter(|spec| spec.no_echo)
        .map(|spec| spec.name.clone())
        .collect()
}

/// The service role a stack acts as: the caller must be allowed `iam:PassRole` on
/// it, and auth must allow `cloudformation.amazonaws.com` to assume it by its trust policy.
fn service_role(world: &World, request: &mut Request, arn: &str) -> Result<Caller, ApiError> {
    let invalid = || validation(format!("Role {arn} is invalid or cannot be assumed"));
    let name = arn
        .strip_prefix(&format!("arn:aws:iam::{}:role/", request.caller.account))
        .and_then(|path| path.rsplit('/').next())
        .ok_or_else(invalid)?;
    let role = world
        .account(&request.caller.account)
        .and_then(|account| account.roles.get(&name.to_ascii_lowercase()))
        .ok_or_else(invalid)?;
    // Whether the role trusts `CloudFormation` is auth's decision, as for any caller:
    // the service principal asks `sts:AssumeRole` of the role's trust policy alone
    // (a service has no identity policies; the signer's are not its).
    let trust = Check {
        resource_account: Some(request.caller.account.clone()),
        resource_policy: ResourcePolicy::Trust {
            account: request.caller.account.clone(),
            role: role.name.to_ascii_lowercase(),
        },
        acting_as: Some(awslab_policy::Principal::service(
            "cloudformation.amazonaws.com",
        )),
        ..Check::new("sts:AssumeRole", &role.arn)
    };
    (request.authorize)(world, &Caller::anonymous(), &[trust]).map_err(|_| invalid())?;
    let check =
        Check::new("iam:PassRole", arn).key("iam:PassedToService", "cloudformation.amazonaws.com");
    (request.authorize)(world, request.caller, &[check])?;
    let mut principal = awslab_policy::Principal::role_session(
        &request.caller.account,
        &role.name,
        "AWSCloudFormation",
    );
    principal.user_id = format!("{}:AWSCloudFormation", role.id);
    principal.source_arn = Some(role.arn.clone());
    principal.tags = role.tags.iter().cloned().collect();
    Ok(Caller {
        principal,
        account: request.caller.account.clone(),
        user: None,
        role: Some(role.name.to_ascii_lowercase()),
        session: None,
        access_key_id: None,
        mfa: false,
    })
}

/// The `RoleARN` of the request, else the stack's: checked, as the principal to act as.
fn acting_role(
    world: &World,
    request: &mut Request,
    stack: &mut Stack,
) -> Result<Option<Caller>, ApiError> {
    if let Some(arn) = request.input.get("RoleARN") {
        stack.role_arn = Some(arn.to_owned());
    }
    match stack.role_arn.clone() {
        Some(arn) => service_role(world, request, &arn).map(Some),
        None => Ok(None),
    }
}

fn run_with_actor(
    world: &mut World,
    request: &mut Request,
    stack: &mut Stack,
    acting: Option<&Caller>,
    work: impl FnOnce(&mut World, &mut Actor, &mut Stack),
) {
    let tags = stack.tags.clone();
    let (name, id) = (stack.name.clone(), stack.id.clone());
    let mut actor = Actor {
        caller: acting.unwrap_or(request.caller),
        authorize: &mut *request.authorize,
        region: request.region,
        stack_name: &name,
        stack_id: &id,
        tags: &tags,
    };
    work(world, &mut actor, stack);
}

/// Keeps the world bounded: the oldest deleted stacks of an account are forgotten.
fn prune(world: &mut World, account: &str) {
    let mut deleted: Vec<(i64, String)> = world
        .stacks
        .values()
        .filter(|stack| stack.account == account && stack.deleted.is_some() && stack.settled())
        .map(|stack| (stack.deleted.unwrap_or_default(), stack.id.clone()))
        .collect();
    if deleted.len() > KEPT_DELETED {
        deleted.sort();
        for (_, id) in deleted.iter().take(deleted.len() - KEPT_DELETED) {
            world.stacks.remove(id);
        }
    }
}

fn updatable(stack: &Stack) -> Result<(), ApiError> {
    let status = stack.final_status();
    let ok = matches!(
        status.as_str(),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
    ) && stack.settled();
    if ok {
        Ok(())
    } else {
        Err(validation(format!(
            "Stack:{} is in {} state and can not be updated.",
            stack.id,
            stack.status().0
        )))
    }
}

fn previous_plan(world: &World, stack: &Stack) -> Result<Plan, ApiError> {
    engine::plan(world, &stack.template, &stack.parameters, stack).map_err(validation)
}

/// `NoEcho` parameter values masked in text an answer shows.
fn masked(stack: &Stack, text: &str) -> String {
    let mut out = text.to_owned();
    for (key, value) in &stack.parameters {
        if stack.no_echo.contains(key) && !value.is_empty() {
            out = out.replace(value.as_str(), "****");
        }
    }
    out
}

/// Reads a stack (catching it up with the clock) for a read-only operation.
fn read_stack(world: &mut World, request: &mut Request) -> Result<Stack, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let id = request.find(world, &name)?;
    let now = world.now();
    let stack = world
        .stacks
        .get_mut(&id)
        .ok_or_else(|| validation("Stack vanished"))?;
    stack.catch_up(now);
    Ok(stack.clone())
}

fn find_change_set<'s>(stack: &'s Stack, name: &str) -> Result<&'s ChangeSet, ApiError> {
    stack
        .change_sets
        .iter()
        .find(|change_set| change_set.id == name || change_set.name == name)
        .ok_or_else(|| {
            ApiError::of(
                CloudFormationError::ChangeSetNotFound,
                format!("ChangeSet [{name}] does not exist"),
            )
        })
}

/// The stack holding change set `name` (an ARN, or a name with `StackName`).
fn change_set_stack(world: &World, request: &Request, name: &str) -> Result<String, ApiError> {
    if name.starts_with("arn:") {
        return world
            .stacks
            .values()
            .find(|stack| {
                stack
                    .change_sets
                    .iter()
                    .any(|change_set| change_set.id == name)
            })
            .filter(|stack| stack.account == request.caller.account)
            .map(|stack| stack.id.clone())
            .ok_or_else(|| {
                ApiError::of(
                    CloudFormationError::ChangeSetNotFound,
                    format!("ChangeSet [{name}] does not exist"),
                )
            });
    }
    let stack = request.input.get("StackName").ok_or_else(|| {
        validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
    })?;
    request.find(world, stack)
}
