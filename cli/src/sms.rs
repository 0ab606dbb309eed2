//! `lingong sms-templates` and `lingong sms-push-urls`: what an operator gives a mainland
//! SMS gateway's console — the templates to file (报备), each in the gateway's own form
//! with its variables' types, and the URLs the gateway pushes replies and delivery
//! reports to.

use anyhow::Context;
use clap::{Args, ValueEnum};
use lingong_core::{app::sms::push_path_secret, notices::sms_catalogue::catalogue};

use crate::setup;

/// A mainland SMS gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Gateway {
    /// Alibaba Cloud SMS (`${name}` variables).
    Aliyun,
    /// Tencent Cloud SMS (`{1}` variables).
    Tencent,
}

impl Gateway {
    fn name(self) -> &'static str {
        match self {
            Gateway::Aliyun => "aliyun",
            Gateway::Tencent => "tencent",
        }
    }
}

/// Options of `lingong sms-templates`.
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// The gateway whose form to print.
    #[arg(long, value_enum, default_value = "aliyun")]
    pub gateway: Gateway,
}

/// Options of `lingong sms-push-urls`.
#[derive(Debug, Args)]
pub struct PushUrlsArgs {
    /// The gateway.
    #[arg(long, value_enum, default_value = "aliyun")]
    pub gateway: Gateway,
    /// The public origin of the API, e.g. `https://lingong.example.cn`.
    #[arg(long, env = "LINGONG_PUBLIC_URL")]
    pub public_url: String,
    /// Data directory holding the deployment secret (or set `LINGONG_SECRET`).
    #[arg(long, default_value = ".lingong-data", env = "LINGONG_DATA")]
    pub data: std::path::PathBuf,
}

/// Prints every template as it is filed.
pub fn templates(args: TemplatesArgs) -> anyhow::Result<()> {
    let (catalogue, rules) = catalogue().context("reading the SMS template catalogue")?;
    println!(
        "# SMS templates for {} (each with its type; the signature is filed separately)\n",
        args.gateway.name()
    );
    for (key, template) in &catalogue.templates {
        let text = match args.gateway {
            Gateway::Aliyun => template.text.clone(),
            Gateway::Tencent => template.numbered_text(),
        };
        let category = if template.category == "verification" {
            "验证码 verification code"
        } else {
            "短信通知 notification"
        };
        println!("## {key}: {} ({category})\n\n{text}\n", template.name);
        for (i, var) in template.var_order().iter().enumerate() {
            let kind = template.vars.get(var).copied();
            let rule = kind.and_then(|k| rules.types.get(&k));
            let shown = match args.gateway {
                Gateway::Aliyun => format!("${{{var}}}"),
                Gateway::Tencent => format!("{{{}}} ({var})", i + 1),
            };
            let verification = template.category == "verification";
            let (type_name, max) = match (args.gateway, rule) {
                // A verification template's code is Alibaba's digits-only captcha type.
                (Gateway::Aliyun, Some(_)) if verification => ("numberCaptcha", 6),
                (Gateway::Aliyun, Some(rule)) => (rule.alibaba.as_str(), rule.max_chars),
                (Gateway::Tencent, Some(rule)) => (rule.tencent.as_str(), rule.max_chars),
                (_, None) => ("?", 0),
            };
            println!("- {shown}: {type_name}, at most {max} characters");
        }
        println!("\n申请说明: {}\n", template.purpose);
    }
    Ok(())
}

/// Prints the push URLs of a gateway.
pub fn push_urls(args: PushUrlsArgs) -> anyhow::Result<()> {
    let secrets = setup::load_secret(&args.data)?;
    let gateway = args.gateway.name();
    let secret = push_path_secret(&secrets, gateway);
    let base = args.public_url.trim_end_matches('/');
    println!("replies (上行消息):        {base}/api/sms/{gateway}/{secret}/up");
    println!("delivery reports (状态报告): {base}/api/sms/{gateway}/{secret}/report");
    Ok(())
}
