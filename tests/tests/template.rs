//! The SAM template against the workspace: every function it deploys is a binary of
//! the workspace built the way SAM builds Rust, every Lambda binary of the workspace is
//! deployed, the table it creates is the table the code expects, and every stream
//! trigger is set up so a poison record cannot stall a shard.

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
