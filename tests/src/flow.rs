//! Helpers for the matching and notice tests: use cases on a store with a clock the
//! test controls, DynamoDB Local's own change stream read as Lambda receives it, the
//! mail the SMTP sink received and the SMS moto's SNS took.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use lingong_core::{App, Clock, FixedClock, ItemStore, secrets::Secrets, station::Stations};

/// The use cases on `store` with `clock` and a fixed test secret.
pub fn app_on(store: Arc<dyn ItemStore>, clock: Arc<FixedClock>) -> App {
    App {
        store,
        stations: Arc::new(Stations::embedded().expect("built-in stations")),
        clock,
        secrets: Secrets::from_bytes(&[42u8; 32]).expect("test secret"),
    }
}

/// A mobile number no other test in this run uses (moto and the mail sink are shared).
pub fn unique_phone() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let tail = (nanos / 1000 + n * 7919 + u64::from(std::process::id()) * 104_729) % 100_000_000;
    format!("137{tail:08}")
}

/// A local part for e-mail addresses no other test uses.
pub fn unique_mailbox(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        crate::unique_name("m").replace('-', "")
    )
}

/// The change stream of one DynamoDB Local table, read shard by shard from the start
/// (`TRIM_HORIZON`) as Lambda's event source mapping reads it, turned into the same
/// `Event` a stream-triggered function receives.
pub struct TableStream {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    iterators: HashMap<String, Option<String>>,
}

fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        // DynamoDB Local keeps data per access key and region: the store's own.
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "local", "local", None, None, "tests",
        ))
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

fn image(
    map: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>,
) -> serde_dynamo::Item {
    let converted: HashMap<String, serde_dynamo::AttributeValue> = map
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), serde_dynamo::AttributeValue::from(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    serde_dynamo::Item::from(converted)
}

impl TableStream {
    /// Opens the stream of `table` (in DynamoDB Local at the test endpoint).
    pub async fn open(table: &str) -> TableStream {
        let endpoint = crate::dynamodb_endpoint();
        let dynamo = lingong_store_dynamodb::DynamoStore::local_client(&endpoint);
        let arn = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("describe table")
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_owned();
        TableStream {
            client: streams_client(&endpoint),
            arn,
            iterators: HashMap::new(),
        }
    }

    async fn discover(&mut self) {
        let described = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await
            .expect("describe stream");
        for shard in described
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            if self.iterators.contains_key(id) {
                continue;
            }
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(id)
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("shard iterator")
                .shard_iterator()
                .map(str::to_owned);
            self.iterators.insert(id.to_owned(), iterator);
        }
    }

    /// Every record written since the last call, in order per shard, as one event.
    pub async fn next_event(&mut self) -> Event {
        self.discover().await;
        let mut records = Vec::new();
        let shards: Vec<String> = self.iterators.keys().cloned().collect();
        for shard in shards {
            while let Some(Some(iterator)) = self.iterators.get(&shard).cloned() {
                let output = self
                    .client
                    .get_records()
                    .shard_iterator(iterator)
                    .send()
                    .await
                    .expect("get records");
                let got = output.records().len();
                for record in output.records() {
                    let Some(change) = record.dynamodb() else {
                        continue;
                    };
                    let mut event_record: EventRecord = serde_json::from_value(serde_json::json!({
                        "awsRegion": "us-east-1",
                        "eventID": record.event_id().unwrap_or_default(),
                        "eventName": record.event_name().map(|n| n.as_str()).unwrap_or_default(),
                        "eventSource": "aws:dynamodb",
                        "eventVersion": "1.1",
                        "dynamodb": {
                            "SequenceNumber": change.sequence_number().unwrap_or_default(),
                            "SizeBytes": change.size_bytes().unwrap_or_default(),
                            "StreamViewType": "NEW_AND_OLD_IMAGES",
                        },
                    }))
                    .expect("stream record shape");
                    event_record.change.keys = image(change.keys());
                    event_record.change.new_image = image(change.new_image());
                    event_record.change.old_image = image(change.old_image());
                    records.push(event_record);
                }
                self.iterators.insert(
                    shard.clone(),
                    output.next_shard_iterator().map(str::to_owned),
                );
                if got == 0 {
                    break;
                }
            }
        }
        let mut event = Event::default();
        event.records = records;
        event
    }
}

/// One message the SMTP sink received.
#[derive(Clone, Debug)]
pub struct Mail {
    /// `To:`.
    pub to: String,
    /// `From:`.
    pub from: String,
    /// Decoded `Subject:`.
    pub subject: String,
    /// `Message-ID:`.
    pub message_id: String,
    /// The decoded plain-text part.
    pub text: String,
    /// The decoded HTML part, if any.
    pub html: Option<String>,
}

/// The Maildir the test command's SMTP sink writes to.
pub fn maildir() -> PathBuf {
    std::env::var("LINGONG_TEST_MAILDIR")
        .unwrap_or_else(|_| {
            panic!("LINGONG_TEST_MAILDIR is not set: run the tests with scripts/test.sh, which starts the SMTP sink")
        })
        .into()
}

/// The SMTP sink's address (`host:port`).
pub fn smtp_address() -> String {
    std::env::var("LINGONG_TEST_SMTP").unwrap_or_else(|_| {
        panic!("LINGONG_TEST_SMTP is not set: run the tests with scripts/test.sh, which starts the SMTP sink")
    })
}

/// Every message delivered to `to`, parsed.
pub fn mails_to(to: &str) -> Vec<Mail> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(maildir().join("new")) else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        let Ok(parsed) = mailparse::parse_mail(&bytes) else {
            continue;
        };
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
                .unwrap_or_default()
        };
        if !header("To").contains(to) {
            continue;
        }
        let mut text = String::new();
        let mut html = None;
        let parts: Vec<&mailparse::ParsedMail> = if parsed.subparts.is_empty() {
            vec![&parsed]
        } else {
            parsed.subparts.iter().collect()
        };
        for part in parts {
            let body = part.get_body().unwrap_or_default();
            if part.ctype.mimetype == "text/html" {
                html = Some(body);
            } else if part.ctype.mimetype == "text/plain" {
                text = body;
            }
        }
        out.push(Mail {
            to: header("To"),
            from: header("From"),
            subject: header("Subject"),
            message_id: header("Message-ID"),
            text,
            html,
        });
    }
    out
}

/// moto's endpoint (SNS, S3).
pub fn moto_endpoint() -> String {
    std::env::var("LINGONG_TEST_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("LINGONG_TEST_MOTO_ENDPOINT is not set: run the tests with scripts/test.sh, which starts moto")
    })
}

/// An SNS client at moto, with dummy credentials and SDK retries off (as in production).
pub fn sns_client() -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .region(aws_sdk_sns::config::Region::new("cn-northwest-1"))
        .endpoint_url(moto_endpoint())
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}

/// The SMS moto's SNS has taken for `e164`, oldest first, read from its data dump.
pub async fn sms_sent_to(e164: &str) -> Vec<String> {
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let data: serde_json::Value = reqwest_json(&url).await;
    data["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|sms| sms["phone_number"] == e164)
                .filter_map(|sms| sms["message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn reqwest_json(url: &str) -> serde_json::Value {
    reqwest::get(url)
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("moto data is JSON")
}

/// A station on a fresh store of one backend, with use-case shortcuts.
pub struct Fixture {
    /// The store (kept alive).
    pub store: crate::TestStore,
    /// The clock the test moves.
    pub clock: Arc<FixedClock>,
    /// The use cases.
    pub app: App,
    /// The default station (Xining Chengzhong).
    pub station: Arc<lingong_core::station::Station>,
}

fn input(pairs: &[(&str, String)]) -> lingong_core::input::RawInput {
    let mut input = lingong_core::input::RawInput::new();
    for (name, value) in pairs {
        input.push(*name, value.clone());
    }
    input
}

/// A fixture on a fresh store of `backend` at [`crate::test_now`].
pub async fn fixture(backend: crate::Backend) -> Fixture {
    let store = crate::fresh_store(backend).await;
    let clock = Arc::new(FixedClock::new(crate::test_now()));
    let app = app_on(store.store.clone(), clock.clone());
    let station = app.stations.default_station().clone();
    Fixture {
        store,
        clock,
        app,
        station,
    }
}

impl Fixture {
    /// Today at the station.
    pub fn today(&self) -> chrono::NaiveDate {
        self.station.today(self.clock.now())
    }

    /// Signs a worker up through the use case; `extra` adds or overrides fields.
    pub async fn sign_up(
        &self,
        name: &str,
        trades: &[&str],
        districts: &[&str],
        extra: &[(&str, &str)],
    ) -> lingong_core::worker::Worker {
        self.sign_up_saved(name, trades, districts, extra)
            .await
            .record
    }

    /// Signs a worker up and keeps the manage token too.
    pub async fn sign_up_saved(
        &self,
        name: &str,
        trades: &[&str],
        districts: &[&str],
        extra: &[(&str, &str)],
    ) -> lingong_core::app::Saved<lingong_core::worker::Worker> {
        let mut fields = vec![
            ("name", name.to_owned()),
            ("phone", unique_phone()),
            ("trades", trades.join(",")),
            ("districts", districts.join(",")),
            ("channel", "sms".to_owned()),
            ("consent", "true".to_owned()),
        ];
        for (k, v) in extra {
            fields.retain(|(name, _)| name != k);
            fields.push((k, (*v).to_owned()));
        }
        self.app
            .sign_up(lingong_core::app::Submission {
                station: None,
                input: &input(&fields),
                idempotency_key: None,
                source: lingong_core::job::Source::Online,
            })
            .await
            .expect("sign-up")
    }

    /// Posts a job through the use case: cleaning in Chengzhong, from the day after
    /// tomorrow for two days, unless `extra` says otherwise.
    pub async fn post_job(&self, headcount: u16, extra: &[(&str, &str)]) -> lingong_core::job::Job {
        let start = self.today() + chrono::Duration::days(2);
        let mut fields = vec![
            ("title", "小区楼道保洁".to_owned()),
            ("trade", "cleaning".to_owned()),
            ("district", "chengzhong".to_owned()),
            ("address", "城中区南关街某小区".to_owned()),
            ("start_date", start.to_string()),
            ("end_date", (start + chrono::Duration::days(1)).to_string()),
            ("headcount", headcount.to_string()),
            ("daily_wage_yuan", "220".to_owned()),
            ("pay_terms", "daily".to_owned()),
            ("employer_name", "城中区某物业公司".to_owned()),
            ("contact_name", "王经理".to_owned()),
            ("contact_phone", unique_phone()),
            (
                "description",
                "打扫楼道和电梯间，工具由物业提供。".to_owned(),
            ),
        ];
        for (k, v) in extra {
            fields.retain(|(name, _)| name != k);
            fields.push((k, (*v).to_owned()));
        }
        self.app
            .post_job(lingong_core::app::Submission {
                station: None,
                input: &input(&fields),
                idempotency_key: None,
                source: lingong_core::job::Source::Online,
            })
            .await
            .expect("post job")
            .record
    }

    /// Runs the next wave for `job_id`.
    pub async fn wave(&self, job_id: &str) -> lingong_core::matching::wave::WaveOutcome {
        self.app
            .run_wave(&self.station, job_id)
            .await
            .expect("wave")
    }

    /// The offers made for `job_id`.
    pub async fn offers(&self, job_id: &str) -> Vec<lingong_core::matching::offer::Offer> {
        self.app
            .offers_of_job(&self.station, job_id)
            .await
            .expect("offers")
    }

    /// The job as stored now.
    pub async fn job(&self, job_id: &str) -> lingong_core::job::Job {
        self.app
            .job(&self.station, job_id)
            .await
            .expect("read job")
            .expect("job exists")
    }

    /// The signature of an offer's link.
    pub fn sig(&self, offer_id: &str) -> String {
        lingong_core::matching::offer::link_signature(&self.app.secrets, &self.station.id, offer_id)
    }
}

/// The digits of the latest code SMS (验证码) waiting to go to `phone`, read from the
/// notice in the store as its owner would read it from their phone.
pub async fn latest_code(app: &App, phone: &str) -> Option<String> {
    use lingong_core::{
        keys,
        notices::NoticeKind,
        records::notice_from_item,
        store::{Index, Query},
    };
    let station = app.stations.default_station().clone();
    let page = app
        .store
        .query(&Query::index_newest_first(
            Index::Gsi3,
            keys::notices_in(&station.id, "due"),
            100,
        ))
        .await
        .expect("the notice queue");
    page.items
        .iter()
        .filter_map(|item| notice_from_item(item).ok())
        .filter(|n| n.kind == NoticeKind::PhoneCode && n.to.phone.as_str() == phone)
        .max_by_key(|n| n.created_at)
        .and_then(|n| n.data.code.map(|c| c.digits().to_owned()))
}

/// Asks for a code for `phone` the way the application form does and reads it from the
/// SMS: what a person does before applying from the board.
pub async fn phone_code(app: &App, phone: &str) -> String {
    let station = app.stations.default_station().clone();
    let number = lingong_core::phone::MobileNumber::parse("phone", phone).expect("a mobile number");
    app.send_phone_code(&station, &number, lingong_core::Lang::Zh)
        .await
        .expect("a code sent");
    latest_code(app, phone).await.expect("the code SMS")
}
