//! The SAM template against the workspace: every function it deploys is a binary of
//! the workspace built the way SAM builds Rust, every Lambda binary of the workspace is
//! deployed, the table it creates is the table the code expects, and every stream
//! trigger is set up so a poison record cannot stall a shard, and every function and
//! failure queue has an alarm that reaches the operators; and what the China regions lack
//! (origin access control, CloudFront functions, SES, SMS from SNS) is kept out there.

// A test that meets the unexpected should stop right there, loudly.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeSet, path::PathBuf};

use serde_norway::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn resources(template: &Value) -> Vec<(String, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect()
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .collect()
}

/// Binaries of the workspace's function crates (under `functions/`) that are Lambda
/// functions (they depend on a Lambda runtime crate), by binary name. The bench's
/// hello-world function is not one of them.
fn workspace_lambda_binaries() -> BTreeSet<String> {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    let mut out = BTreeSet::new();
    for member in members
        .iter()
        .filter(|m| m.as_str().is_some_and(|m| m.starts_with("functions/")))
    {
        let path = root().join(member.as_str().unwrap()).join("Cargo.toml");
        let crate_manifest: toml::Table =
            toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let deps = crate_manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .cloned()
            .unwrap_or_default();
        let is_lambda = ["lambda_http", "lambda_runtime"]
            .iter()
            .any(|d| deps.contains_key(*d));
        if !is_lambda {
            continue;
        }
        for bin in crate_manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            out.insert(bin["name"].as_str().unwrap().to_owned());
        }
    }
    out
}

#[test]
fn every_deployed_function_is_a_workspace_binary_and_every_lambda_binary_is_deployed() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    let mut deployed = BTreeSet::new();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{name}"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} names no binary"));
        deployed.insert(binary.to_owned());
        let properties = &function["Properties"];
        let runtime = properties["Runtime"]
            .as_str()
            .or(globals["Runtime"].as_str());
        assert_eq!(runtime, Some("provided.al2023"), "{name}");
        let architectures = properties
            .get("Architectures")
            .unwrap_or(&globals["Architectures"]);
        assert_eq!(
            architectures,
            &Value::Sequence(vec![Value::String("arm64".into())]),
            "{name}"
        );
    }
    let workspace = workspace_lambda_binaries();
    assert!(!workspace.is_empty());
    assert_eq!(
        deployed, workspace,
        "template binaries vs workspace Lambda binaries"
    );
}

#[test]
fn the_table_matches_what_the_code_creates() {
    let template = template();
    let tables = of_type(&template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1, "one table");
    let table = &tables[0].1["Properties"];
    let key = |schema: &Value| -> (String, String) {
        let schema = schema.as_sequence().unwrap();
        let find = |kind: &str| {
            schema
                .iter()
                .find(|k| k["KeyType"].as_str() == Some(kind))
                .map(|k| k["AttributeName"].as_str().unwrap().to_owned())
                .unwrap()
        };
        (find("HASH"), find("RANGE"))
    };
    let mut in_template = vec![("table".to_owned(), key(&table["KeySchema"]))];
    for index in table["GlobalSecondaryIndexes"].as_sequence().unwrap() {
        assert_eq!(index["Projection"]["ProjectionType"].as_str(), Some("ALL"));
        in_template.push((
            index["IndexName"].as_str().unwrap().to_owned(),
            key(&index["KeySchema"]),
        ));
    }
    let in_code: Vec<(String, (String, String))> =
        lingong_store_dynamodb::table_definition_summary()
            .into_iter()
            .map(|(name, pk, sk)| (name.to_owned(), (pk.to_owned(), sk.to_owned())))
            .collect();
    assert_eq!(in_template, in_code);
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"].as_str(),
        Some("NEW_AND_OLD_IMAGES")
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some("ttl")
    );
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn stream_triggers_report_failures_bisect_and_give_up_somewhere() {
    let template = template();
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (event_name, event) in events {
            if event["Type"].as_str() != Some("DynamoDB") {
                continue;
            }
            let p = &event["Properties"];
            let context = format!("{name}.{}", event_name.as_str().unwrap());
            assert_eq!(
                p["FunctionResponseTypes"],
                Value::Sequence(vec![Value::String("ReportBatchItemFailures".into())]),
                "{context}"
            );
            assert_eq!(
                p["BisectBatchOnFunctionError"].as_bool(),
                Some(true),
                "{context}"
            );
            assert!(
                p["MaximumRetryAttempts"].as_u64().is_some_and(|n| n <= 10),
                "{context}"
            );
            assert!(
                p["DestinationConfig"]["OnFailure"]["Destination"] != Value::Null,
                "{context}"
            );
            assert_eq!(
                p["StartingPosition"].as_str(),
                Some("TRIM_HORIZON"),
                "{context}"
            );
        }
    }
}

/// The resource a `!Ref X` (or `{"Ref": X}`) names, or the resource of a
/// `!GetAtt X.Attr` (or `{"Fn::GetAtt": [X, Attr]}`).
fn referenced(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged
            .value
            .as_str()
            .and_then(|s| s.split('.').next())
            .or_else(|| tagged.value.get(0).and_then(Value::as_str)),
        Value::Mapping(_) => value["Ref"]
            .as_str()
            .or_else(|| value["Fn::GetAtt"].get(0).and_then(Value::as_str)),
        _ => None,
    }
}

/// Alarms on `namespace`/`metric` whose `dimension` names a resource, by that resource.
fn alarms_on<'a>(
    template: &'a Value,
    namespace: &str,
    metric: &str,
    dimension: &str,
) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    for (name, alarm) in of_type(template, "AWS::CloudWatch::Alarm") {
        let p = &alarm["Properties"];
        if p["Namespace"].as_str() != Some(namespace) || p["MetricName"].as_str() != Some(metric) {
            continue;
        }
        let dimensions = p["Dimensions"].as_sequence().unwrap();
        assert_eq!(dimensions.len(), 1, "{name}: one dimension");
        assert_eq!(dimensions[0]["Name"].as_str(), Some(dimension), "{name}");
        let target = referenced(&dimensions[0]["Value"])
            .unwrap_or_else(|| panic!("{name}: the dimension names no resource of the stack"));
        out.push((target.to_owned(), p));
    }
    out
}

/// The alarm fires on the first occurrence in five minutes, treats no data as fine, and
/// notifies the operators' topic.
fn assert_alarms_operators(context: &str, alarm: &Value, topic: &str) {
    assert_eq!(alarm["Threshold"].as_f64(), Some(1.0), "{context}");
    assert_eq!(
        alarm["ComparisonOperator"].as_str(),
        Some("GreaterThanOrEqualToThreshold"),
        "{context}"
    );
    assert_eq!(alarm["Period"].as_u64(), Some(300), "{context}");
    assert_eq!(alarm["EvaluationPeriods"].as_u64(), Some(1), "{context}");
    assert_eq!(
        alarm["TreatMissingData"].as_str(),
        Some("notBreaching"),
        "{context}"
    );
    let actions: Vec<Option<&str>> = alarm["AlarmActions"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{context}: no AlarmActions"))
        .iter()
        .map(referenced)
        .collect();
    assert_eq!(actions, vec![Some(topic)], "{context}: AlarmActions");
}

#[test]
fn every_function_and_failure_queue_alarms_to_the_operators() {
    let template = template();
    let topics = of_type(&template, "AWS::SNS::Topic");
    assert_eq!(topics.len(), 1, "one SNS topic, the operators'");
    let topic = topics[0].0.as_str();
    // The e-mail subscription exists only when an address is given.
    let subscriptions = of_type(&template, "AWS::SNS::Subscription");
    assert_eq!(subscriptions.len(), 1);
    let subscription = subscriptions[0].1;
    assert_eq!(subscription["Condition"].as_str(), Some("HasOperatorEmail"));
    assert_eq!(
        referenced(&subscription["Properties"]["TopicArn"]),
        Some(topic)
    );
    assert_eq!(
        referenced(&subscription["Properties"]["Endpoint"]),
        Some("OperatorEmail")
    );
    assert_eq!(
        template["Parameters"]["OperatorEmail"]["Default"].as_str(),
        Some("")
    );

    let errors = alarms_on(&template, "AWS/Lambda", "Errors", "FunctionName");
    let functions = of_type(&template, "AWS::Serverless::Function");
    assert!(!functions.is_empty());
    for (function, _) in &functions {
        let alarms: Vec<&Value> = errors
            .iter()
            .filter(|(target, _)| target == function)
            .map(|(_, alarm)| *alarm)
            .collect();
        assert_eq!(alarms.len(), 1, "{function}: one Errors alarm");
        assert_eq!(alarms[0]["Statistic"].as_str(), Some("Sum"), "{function}");
        assert_alarms_operators(&format!("{function} errors"), alarms[0], topic);
    }
    assert_eq!(
        errors.len(),
        functions.len(),
        "no alarm on a missing function"
    );

    // Every queue is a stream's on-failure destination, and each has a depth alarm.
    let queues = of_type(&template, "AWS::SQS::Queue");
    let mut destinations = BTreeSet::new();
    for (_, function) in &functions {
        for (_, event) in function["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if let Some(queue) =
                referenced(&event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
            {
                destinations.insert(queue.to_owned());
            }
        }
    }
    let queue_names: BTreeSet<String> = queues.iter().map(|(name, _)| name.clone()).collect();
    assert!(!destinations.is_empty());
    assert_eq!(destinations, queue_names, "failure queues vs queues");
    let depth = alarms_on(
        &template,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
    );
    for queue in &queue_names {
        let alarms: Vec<&Value> = depth
            .iter()
            .filter(|(target, _)| target == queue)
            .map(|(_, alarm)| *alarm)
            .collect();
        assert_eq!(alarms.len(), 1, "{queue}: one depth alarm");
        assert_alarms_operators(&format!("{queue} depth"), alarms[0], topic);
    }

    // No alarm notifies anywhere else.
    for (name, alarm) in of_type(&template, "AWS::CloudWatch::Alarm") {
        for actions in ["AlarmActions", "OKActions"] {
            for action in alarm["Properties"][actions]
                .as_sequence()
                .into_iter()
                .flatten()
            {
                assert_eq!(referenced(action), Some(topic), "{name}.{actions}");
            }
        }
    }
}

/// The report function's schedules send inputs the function reads as the periods it
/// mails: one daily and one weekly, nothing it would refuse.
#[test]
fn the_report_schedules_ask_for_the_daily_and_the_weekly_report() {
    let template = template();
    let (_, function) = resources(&template)
        .into_iter()
        .find(|(_, r)| {
            r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some("lingong-report")
        })
        .unwrap();
    let mut periods: Vec<&str> = function["Properties"]["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|event| event["Type"].as_str() == Some("ScheduleV2"))
        .map(|event| {
            let input: serde_json::Value =
                serde_json::from_str(event["Properties"]["Input"].as_str().unwrap()).unwrap();
            lingong_report::period_of(&input)
                .unwrap_or_else(|| panic!("a schedule the function refuses: {input}"))
                .as_str()
        })
        .collect();
    periods.sort_unstable();
    assert_eq!(periods, ["daily", "weekly"]);
    // An EventBridge rule's event carries it under `detail`; anything else is refused.
    let rule =
        serde_json::json!({"detail-type": "Scheduled Event", "detail": {"period": "weekly"}});
    assert_eq!(
        lingong_report::period_of(&rule).map(|p| p.as_str()),
        Some("weekly")
    );
    assert!(lingong_report::period_of(&serde_json::json!({"period": "monthly"})).is_none());
}

/// Resource types kept out of the China regions: two CloudFront there does not have
/// (cfn-lint E3006 in cn-north-1 and cn-northwest-1), and response headers policies,
/// which are not known to be accepted on a distribution there (cache policies are
/// refused).
const NOT_IN_CHINA: [&str; 4] = [
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::OriginRequestPolicy",
];

#[test]
fn the_board_deploys_in_both_partitions_without_an_edge_function() {
    let template = template();
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    assert!(
        of_type(&template, "AWS::CloudFront::Function").is_empty(),
        "no CloudFront Function: every board URL is an object key"
    );
    let is_china = serde_norway::to_string(&template["Conditions"]["IsChina"]).unwrap();
    assert!(
        is_china.contains("AWS::Partition") && is_china.contains("aws-cn"),
        "{is_china}"
    );
    for kind in NOT_IN_CHINA {
        for (name, resource) in of_type(&template, kind) {
            assert_eq!(
                resource["Condition"].as_str(),
                Some("NotChina"),
                "{name} ({kind}) must stay out of the China regions"
            );
        }
    }
    let identities = of_type(&template, "AWS::CloudFront::CloudFrontOriginAccessIdentity");
    assert_eq!(identities.len(), 1, "an origin access identity for China");
    assert_eq!(identities[0].1["Condition"].as_str(), Some("IsChina"));
    // Every ARN the template writes names the partition it is deployed in.
    let resources_text = &text[text.find("\nResources:").unwrap()..];
    assert!(
        !resources_text.contains("arn:aws:"),
        "an ARN with a fixed partition in the resources"
    );
    // China needs its domain and IAM certificate, and a domestic SMS gateway.
    let rule =
        serde_norway::to_string(&template["Rules"]["ChinaServesTheBoardFromAnIcpFiledDomain"])
            .unwrap();
    for needed in [
        "aws-cn",
        "SiteDomainName",
        "SiteIamCertificateId",
        "SmsGateway",
    ] {
        assert!(
            rule.contains(needed),
            "the China rule checks {needed}: {rule}"
        );
    }
    // The notifier learns its gateway and reads only that gateway's secret.
    let notifier = &template["Resources"]["NotifierFunction"]["Properties"];
    let variables = &notifier["Environment"]["Variables"];
    assert_eq!(referenced(&variables["SMS_GATEWAY"]), Some("SmsGateway"));
    assert_eq!(
        referenced(&variables["SMS_SECRET_ARN"]),
        Some("SmsSecretArn")
    );
    let policies = serde_norway::to_string(&notifier["Policies"]).unwrap();
    assert!(policies.contains("UsesSns") && policies.contains("sns:Publish"));
    let smtp = &template["Parameters"]["SmtpUrl"];
    assert!(
        smtp["Default"].is_null(),
        "no SES default: SES is not offered in the China regions"
    );
}

#[test]
fn the_api_learns_the_viewers_address_only_through_cloudfront() {
    let template = template();
    let text = serde_norway::to_string(&template["Resources"]["SiteDistribution"]).unwrap();
    // CloudFront proves itself to the API with the origin secret…
    assert!(text.contains("X-Lingong-Origin-Verify"), "{text}");
    assert!(text.contains("OriginVerifySecret"), "{text}");
    let variables = &template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"];
    let secret = serde_norway::to_string(&variables["ORIGIN_VERIFY_SECRET"]).unwrap();
    assert!(secret.contains("OriginVerifySecret"), "{secret}");
    // …and outside China forwards the viewer's address through the API's policy.
    let policies = of_type(&template, "AWS::CloudFront::OriginRequestPolicy");
    assert_eq!(policies.len(), 1);
    let headers = serde_norway::to_string(
        &policies[0].1["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"],
    )
    .unwrap();
    assert!(headers.contains("CloudFront-Viewer-Address"), "{headers}");
    assert!(
        !headers.contains("Host"),
        "API Gateway needs its own Host: {headers}"
    );
    assert!(text.contains("ApiOriginRequestPolicy"), "{text}");
}
