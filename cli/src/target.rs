//! Where an AWS-facing command (`send`, `redrive`, `sweep`) acts: `--endpoint-url`, `--region`
//! and `--profile` over the environment, the account it acts on, said on stderr before anything
//! changes, and the confirmation an AWS account needs.
//!
//! The account comes from STS `GetCallerIdentity` (the emulator answers it too, with its
//! `123456789012`). A command whose endpoints are all on this machine (`localhost`, `127.x.x.x`,
//! `::1`: the emulator) acts at once. Anywhere else is an AWS account: the command asks on the
//! terminal (`y/N`) unless `--yes` is given, and with no terminal to ask on it refuses before it
//! makes any call (exit status 4), so a script never acts on an account it did not name on purpose.

use std::io::{BufRead, IsTerminal, Write};

use samspil::aws::{AwsClients, Overrides, describe, sdk_config_with};

use crate::Error;
use crate::failure::Failure;

/// The per-service endpoint variables the SDK honours for the services the commands use; any of
/// them, when set, is an endpoint in effect too.
const SERVICE_ENDPOINT_VARIABLES: [&str; 5] = [
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_STS",
];

/// The options of every AWS-facing command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// The endpoint of every AWS service, e.g. the emulator's http://127.0.0.1:4566 [default:
    /// AWS_ENDPOINT_URL, else AWS's own]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The AWS region [default: AWS_REGION, else the profile's, else eu-north-1]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The named AWS profile for credentials and region [default: AWS_PROFILE, else the
    /// environment's credentials, else the default profile]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Act on an AWS account (any endpoint not on this machine) without asking first
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Where a command acts, once connected.
#[derive(Debug, Clone)]
pub struct Target {
    pub clients: AwsClients,
    /// The endpoint, as shown: the URL given, or AWS's own for the region.
    pub endpoint: String,
    pub region: String,
    /// The account id STS named.
    pub account: String,
    /// Whether every endpoint in effect is on this machine.
    pub local: bool,
}

impl Target {
    /// `endpoint, region R, account A` (and whether that is the emulator or AWS), for banners.
    pub fn describe(&self) -> String {
        let kind = if self.local { "local endpoint" } else { "AWS" };
        format!("{}, region {}, account {} ({kind})", self.endpoint, self.region, self.account)
    }
}

/// What to do before acting, given where and what the user said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Act: a local endpoint, or `--yes`.
    Go,
    /// Ask on the terminal first.
    Ask,
    /// Refuse: an AWS account, no `--yes`, and no terminal to ask on.
    Refuse,
}

/// Whether to act, ask or refuse.
pub fn consent(local: bool, yes: bool, terminal: bool) -> Consent {
    match (local, yes, terminal) {
        (true, _, _) | (false, true, _) => Consent::Go,
        (false, false, true) => Consent::Ask,
        (false, false, false) => Consent::Refuse,
    }
}

/// Whether `url`'s host is this machine.
pub fn is_local_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    host == "localhost" || host == "::1" || (host.starts_with("127.") && host.split('.').count() == 4)
}

impl TargetArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }

    /// The endpoints in effect, given `env` (the process environment): the global one (the
    /// option, else `AWS_ENDPOINT_URL`) and any per-service ones. `None` for the global one means
    /// AWS's own endpoints.
    fn endpoints(&self, env: impl Fn(&str) -> Option<String>) -> (Option<String>, Vec<String>) {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let global = self.endpoint_url.clone().or_else(|| set("AWS_ENDPOINT_URL"));
        let per_service = SERVICE_ENDPOINT_VARIABLES.iter().filter_map(|name| set(name)).collect();
        (global, per_service)
    }

    /// Whether every endpoint in effect is on this machine (and there is one).
    fn local(&self, env: impl Fn(&str) -> Option<String>) -> bool {
        let (global, per_service) = self.endpoints(env);
        global.as_deref().is_some_and(is_local_url) && per_service.iter().all(|url| is_local_url(url))
    }

    /// Connects, for a command about to do `what` (e.g. `samspil send: sending 3 messages`): an AWS
    /// account it cannot ask about is refused before any call; then STS names the account, one
    /// line on stderr says `what` and where, and an AWS account is confirmed on the terminal
    /// unless `--yes`.
    pub async fn connect(&self, what: &str) -> Result<Target, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let local = self.local(env);
        let (global, _) = self.endpoints(env);
        let answer = consent(local, self.yes, std::io::stdin().is_terminal());
        if answer == Consent::Refuse {
            let shown = global.as_deref().unwrap_or("AWS's own endpoints");
            return Err(Failure::config(format!(
                "{shown} is AWS, not a local endpoint, and there is no terminal to ask on: give --yes to act on \
                 that account; nothing was changed"
            ))
            .into());
        }
        let config = sdk_config_with(&self.overrides()).await;
        let region = config.region().map_or_else(|| "(no region)".to_owned(), ToString::to_string);
        let endpoint = global.unwrap_or_else(|| format!("https://<service>.{region}.amazonaws.com"));
        let identity = aws_sdk_sts::Client::new(&config).get_caller_identity().send().await.map_err(|e| {
            Failure::aws(format!(
                "cannot tell which AWS account {endpoint} (region {region}) is: {}",
                describe("GetCallerIdentity", &e, None)
            ))
        })?;
        let account = identity.account.unwrap_or_else(|| "(unknown)".to_owned());
        let target = Target { clients: AwsClients::new(&config), endpoint, region, account, local };
        eprintln!("{what} at {}", target.describe());
        if answer == Consent::Ask && !confirmed(&target.account)? {
            return Err(Failure::config("not confirmed; nothing was changed").into());
        }
        Ok(target)
    }
}

/// Asks on the terminal whether to act on `account`; `y` or `yes` confirms.
fn confirmed(account: &str) -> Result<bool, Error> {
    eprint!("Act on AWS account {account}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn only_this_machine_is_local() {
        for url in
            ["http://127.0.0.1:4566", "http://localhost:4571/", "http://[::1]:4566", "127.0.0.5", "http://u@127.0.0.1"]
        {
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "https://sqs.eu-north-1.amazonaws.com",
            "http://127.0.0.1.example.com:4566",
            "http://localhost.example.com",
            "http://10.0.0.1:4566",
            "",
        ] {
            assert!(!is_local_url(url), "{url}");
        }
    }

    #[test]
    fn a_command_is_local_only_when_every_endpoint_in_effect_is() {
        let none = TargetArgs::default();
        assert!(!none.local(env(&[])), "AWS's own endpoints");
        assert!(none.local(env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")])));
        let per_service = [("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"), ("AWS_ENDPOINT_URL_SQS", "https://sqs.aws")];
        assert!(!none.local(env(&per_service)), "one service goes to AWS");
        let flag =
            TargetArgs { endpoint_url: Some("https://sqs.eu-north-1.amazonaws.com".into()), ..TargetArgs::default() };
        assert!(!flag.local(env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")])), "the option wins");
        let flag = TargetArgs { endpoint_url: Some("http://127.0.0.1:4571".into()), ..TargetArgs::default() };
        assert!(flag.local(env(&[])));
    }

    #[test]
    fn an_aws_account_is_asked_about_or_refused_unless_yes() {
        assert_eq!(consent(true, false, false), Consent::Go);
        assert_eq!(consent(false, true, false), Consent::Go);
        assert_eq!(consent(false, false, true), Consent::Ask);
        assert_eq!(consent(false, false, false), Consent::Refuse);
    }
}
