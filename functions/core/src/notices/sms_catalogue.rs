//! The SMS templates as filed with a mainland gateway (`stations/sms/templates.toml`) and
//! the gateways' published template rules (`stations/sms/rules.toml`), both compiled in.
//!
//! Mainland gateways send only registered templates: a fixed text with typed variables,
//! approved in advance. So every SMS notice is also a [`TemplateSms`]: the template of its
//! kind and a value for each variable, taken only from checked sources (the station's own
//! trade and district lists, dates, amounts, numbers) and checked against the variable's
//! type before it leaves. Names, addresses, titles and anything else the public typed
//! never go into a template SMS, and neither do links.

use std::{collections::BTreeMap, sync::LazyLock};

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Notice, NoticeKind, OneTimeCode, port::TemplateSms};
use crate::{i18n::Lang, station::Station};

const TEMPLATES: &str = include_str!("../../../../stations/sms/templates.toml");
const RULES: &str = include_str!("../../../../stations/sms/rules.toml");

/// The type of a template variable, as declared when the template is filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    /// A telephone number (电话号码).
    Phone,
    /// A date or time (时间).
    Time,
    /// An amount of money, without a currency sign (金额).
    Money,
    /// A number or code of digits and letters (其他号码).
    Number,
    /// A short text from a fixed list (其他).
    Text,
}

/// One template as filed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiledTemplate {
    /// The template's name in the gateway's console.
    pub name: String,
    /// The 申请说明 for the gateway's reviewers.
    pub purpose: String,
    /// The text exactly as filed, variables as `${name}`.
    pub text: String,
    /// The most SMS segments the longest real values may take.
    pub max_segments: u8,
    /// The template type to file it as: `notification` (短信通知, the default) or
    /// `verification` (验证码).
    #[serde(default = "notification")]
    pub category: String,
    /// Each variable's declared type.
    pub vars: BTreeMap<String, VarType>,
}

impl FiledTemplate {
    /// The variable names in the order the text uses them.
    pub fn var_order(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = self.text.as_str();
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            names.push(after[..end].to_owned());
            rest = &after[end + 1..];
        }
        names
    }

    /// The text with `${name}` replaced by `{1}`, `{2}`… in order (Tencent Cloud's form).
    pub fn numbered_text(&self) -> String {
        let mut text = self.text.clone();
        for (i, name) in self.var_order().iter().enumerate() {
            text = text.replacen(&format!("${{{name}}}"), &format!("{{{}}}", i + 1), 1);
        }
        text
    }

    /// The text with each variable filled in from `params`.
    pub fn fill(&self, params: &[(String, String)]) -> String {
        let mut text = self.text.clone();
        for (name, value) in params {
            text = text.replace(&format!("${{{name}}}"), value);
        }
        text
    }
}

fn notification() -> String {
    "notification".to_owned()
}

/// Every filed template, by notice kind (`offer`, `placed`…).
#[derive(Clone, Debug)]
pub struct Catalogue {
    /// The templates by key.
    pub templates: BTreeMap<String, FiledTemplate>,
}

/// What a variable of one type may hold.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeRule {
    /// The type's name in Alibaba Cloud's `TemplateRule`.
    pub alibaba: String,
    /// The type's name in Tencent Cloud's console.
    pub tencent: String,
    /// Fewest characters.
    pub min_chars: usize,
    /// Most characters.
    pub max_chars: usize,
    /// Character classes allowed (`digits`, `letters`, `dash`, `dot`, `cjk`, `time_marks`).
    pub classes: Vec<String>,
}

/// The signature's length limits.
#[derive(Clone, Debug, Deserialize)]
pub struct SignatureRule {
    /// Fewest characters.
    pub min_chars: usize,
    /// Most characters.
    pub max_chars: usize,
}

/// How long SMS are cut into billed parts.
#[derive(Clone, Debug, Deserialize)]
pub struct SegmentRule {
    /// Characters in a single SMS.
    pub single: usize,
    /// Characters in each part of a long SMS.
    pub part: usize,
}

/// Rules on the template text as a whole.
#[derive(Clone, Debug, Deserialize)]
pub struct TextRule {
    /// Longest template, variables filled in.
    pub max_chars: usize,
    /// Most variables in one template.
    pub max_vars: usize,
    /// Symbols that may not appear.
    pub forbidden_symbols: Vec<String>,
    /// Wording of refused categories.
    pub forbidden_words: Vec<String>,
    /// Signs of a link.
    pub link_markers: Vec<String>,
    /// Variable names the gateways reserve.
    pub reserved_var_names: Vec<String>,
}

/// The gateways' template rules.
#[derive(Clone, Debug, Deserialize)]
pub struct Rules {
    /// The signature.
    pub signature: SignatureRule,
    /// Segments.
    pub segments: SegmentRule,
    /// The text.
    pub template: TextRule,
    /// Variable types.
    pub types: BTreeMap<VarType, TypeRule>,
}

/// Why a notice could not become a template SMS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The compiled-in catalogue or rules do not parse (a build defect).
    #[error("the SMS template catalogue is unreadable: {0}")]
    Catalogue(String),
    /// No template is filed for this kind of notice.
    #[error("no SMS template is filed for `{0}`")]
    NoTemplate(String),
    /// The notice lacks something its template needs.
    #[error("template `{template}` needs `{var}`, which the notice does not have")]
    Missing {
        /// The template.
        template: String,
        /// The variable.
        var: String,
    },
    /// A value breaks its variable's type rules.
    #[error("template `{template}`: `{var}` = {value:?} is not a valid {kind:?} value")]
    BadValue {
        /// The template.
        template: String,
        /// The variable.
        var: String,
        /// The value (never personal data: phone values are masked here).
        value: String,
        /// The declared type.
        kind: VarType,
    },
}

static CATALOGUE: LazyLock<Result<(Catalogue, Rules), String>> = LazyLock::new(|| {
    let templates: BTreeMap<String, FiledTemplate> =
        toml::from_str(TEMPLATES).map_err(|e| format!("templates.toml: {e}"))?;
    let rules: Rules = toml::from_str(RULES).map_err(|e| format!("rules.toml: {e}"))?;
    Ok((Catalogue { templates }, rules))
});

/// The filed templates and the rules they keep.
pub fn catalogue() -> Result<(&'static Catalogue, &'static Rules), TemplateError> {
    match &*CATALOGUE {
        Ok((catalogue, rules)) => Ok((catalogue, rules)),
        Err(e) => Err(TemplateError::Catalogue(e.clone())),
    }
}

impl Rules {
    /// Whether `value` is a valid value of type `kind`.
    pub fn accepts(&self, kind: VarType, value: &str) -> bool {
        let Some(rule) = self.types.get(&kind) else {
            return false;
        };
        let chars = value.chars().count();
        if chars < rule.min_chars || chars > rule.max_chars {
            return false;
        }
        let has = |class: &str| rule.classes.iter().any(|c| c == class);
        let mut rest = value;
        while let Some(c) = rest.chars().next() {
            // Multi-character time marks (上午, 下午, 晚上) first.
            if has("time_marks")
                && let Some(mark) = ["上午", "下午", "晚上"]
                    .into_iter()
                    .find(|m| rest.starts_with(m))
            {
                rest = &rest[mark.len()..];
                continue;
            }
            let ok = (c.is_ascii_digit() && has("digits"))
                || (c.is_ascii_alphabetic() && has("letters"))
                || (c == '-' && has("dash"))
                || (c == '.' && has("dot"))
                || (is_cjk(c) && has("cjk"))
                || ("年月日时分点:/".contains(c) && has("time_marks"));
            if !ok {
                return false;
            }
            rest = &rest[c.len_utf8()..];
        }
        match kind {
            // A mobile number is 11 digits starting with 1; a landline 5–13 digits and dashes.
            VarType::Phone => {
                let digits = value.chars().filter(char::is_ascii_digit).count();
                (5..=13).contains(&digits) || (digits == 11 && value.starts_with('1'))
            }
            VarType::Money => value.parse::<f64>().is_ok(),
            _ => true,
        }
    }

    /// How many billed segments an SMS of `chars` characters takes.
    pub fn segments(&self, chars: usize) -> usize {
        if chars <= self.segments.single {
            1
        } else {
            chars.div_ceil(self.segments.part)
        }
    }
}

/// Chinese characters (the CJK unified ideographs).
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// A job's number as workers and staff say it: the last six characters of its id
/// (Crockford base 32, upper case), shown on the job's page and in its SMS.
pub fn job_number(job_id: &str) -> String {
    let tail: String = job_id
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    tail.to_ascii_uppercase()
}

/// A day as a template's `time` variable: `12月1日`.
fn day_value(day: NaiveDate) -> String {
    day.format("%-m月%-d日").to_string()
}

/// The SMS of `notice` as its filed template with checked variables.
pub fn template_sms(notice: &Notice, station: &Station) -> Result<TemplateSms, TemplateError> {
    let (catalogue, rules) = catalogue()?;
    let key = notice.kind.as_str();
    let template = catalogue
        .templates
        .get(key)
        .ok_or_else(|| TemplateError::NoTemplate(key.to_owned()))?;
    let data = &notice.data;
    let job = data.job.as_ref();
    let missing = |var: &str| TemplateError::Missing {
        template: key.to_owned(),
        var: var.to_owned(),
    };
    let mut params = Vec::new();
    for var in template.var_order() {
        let value = match var.as_str() {
            "trade" => job
                .map(|j| {
                    station
                        .trade(&j.trade)
                        .map(|t| t.name.get(Lang::Zh).to_owned())
                        .unwrap_or_else(|| j.trade.clone())
                })
                .ok_or_else(|| missing(&var))?,
            "district" => job
                .map(|j| {
                    station
                        .district(&j.district)
                        .map(|d| d.name.get(Lang::Zh).to_owned())
                        .unwrap_or_else(|| j.district.clone())
                })
                .ok_or_else(|| missing(&var))?,
            "start" => match (job, &data.event) {
                (Some(j), _) => day_value(j.start),
                (None, Some(event)) => {
                    let local = event.starts_at.with_timezone(&station.time_zone);
                    format!("{}{}", day_value(local.date_naive()), local.format("%H:%M"))
                }
                (None, None) => return Err(missing(&var)),
            },
            "days" => job
                .map(|j| ((j.end - j.start).num_days() + 1).to_string())
                .ok_or_else(|| missing(&var))?,
            "wage" => job
                .map(|j| j.daily_wage.to_string())
                .ok_or_else(|| missing(&var))?,
            "pay" => job
                .map(|j| match j.pay_terms.as_str() {
                    "daily" => "日结".to_owned(),
                    _ => "完工结".to_owned(),
                })
                .ok_or_else(|| missing(&var))?,
            "deadline" => data
                .answer_by
                .map(|at| {
                    let local = at.with_timezone(&station.time_zone);
                    format!("{}{}", day_value(local.date_naive()), local.format("%H:%M"))
                })
                .ok_or_else(|| missing(&var))?,
            "job" => notice
                .job_id
                .as_deref()
                .or_else(|| notice.id.split('.').next())
                .map(job_number)
                .ok_or_else(|| missing(&var))?,
            "hotline" => station.hotline.clone(),
            // To the employer: the worker who took a place; to a worker: the employer.
            "phone" => if notice.kind == NoticeKind::WorkerPlaced {
                data.worker_phone.as_ref()
            } else {
                data.contact_phone.as_ref()
            }
            .map(|p| p.as_str().to_owned())
            .ok_or_else(|| missing(&var))?,
            "placed" => job
                .map(|j| j.placed.to_string())
                .ok_or_else(|| missing(&var))?,
            "headcount" => job
                .map(|j| j.headcount.to_string())
                .ok_or_else(|| missing(&var))?,
            "reference" => data.reference.clone().ok_or_else(|| missing(&var))?,
            // Checked again here: a 验证码 template takes 4–6 digits and nothing else.
            "code" => data
                .code
                .as_ref()
                .and_then(|c| OneTimeCode::parse(c.digits()))
                .map(|c| c.digits().to_owned())
                .ok_or_else(|| missing(&var))?,
            _ => return Err(missing(&var)),
        };
        let kind = template
            .vars
            .get(&var)
            .copied()
            .ok_or_else(|| missing(&var))?;
        if !rules.accepts(kind, &value) {
            let shown = if kind == VarType::Phone {
                "(a phone number)".to_owned()
            } else if var == "code" {
                "(a code)".to_owned()
            } else {
                value
            };
            return Err(TemplateError::BadValue {
                template: key.to_owned(),
                var,
                value: shown,
                kind,
            });
        }
        params.push((var, value));
    }
    Ok(TemplateSms {
        station: station.id.as_str().to_owned(),
        signature: station.sms_signature.clone(),
        template: key.to_owned(),
        params,
    })
}

/// The whole SMS as a phone shows it: `【signature】` and the filled template.
pub fn full_text(sms: &TemplateSms) -> Result<String, TemplateError> {
    let (catalogue, _) = catalogue()?;
    let template = catalogue
        .templates
        .get(&sms.template)
        .ok_or_else(|| TemplateError::NoTemplate(sms.template.clone()))?;
    Ok(format!(
        "【{}】{}",
        sms.signature,
        template.fill(&sms.params)
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::{
        dates::MAX_SPAN_DAYS,
        money::Money,
        notices::{EventSummary, JobSummary, NoticeData, Recipient},
        phone::MobileNumber,
        station::Stations,
        worker::Channel,
    };

    fn rules() -> &'static Rules {
        catalogue().unwrap().1
    }

    fn templates() -> &'static BTreeMap<String, FiledTemplate> {
        &catalogue().unwrap().0.templates
    }

    #[test]
    fn every_kind_of_notice_has_a_filed_template() {
        let missing: Vec<NoticeKind> = NoticeKind::ALL
            .into_iter()
            .filter(|k| !templates().contains_key(k.as_str()))
            .collect();
        assert_eq!(missing, Vec::<NoticeKind>::new());
        let kinds: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
        for key in templates().keys() {
            assert!(
                kinds.contains(&key.as_str()),
                "template `{key}` is for no notice"
            );
        }
    }

    #[test]
    fn every_template_declares_exactly_the_variables_it_uses() {
        let text_rules = &rules().template;
        for (key, template) in templates() {
            let order = template.var_order();
            let mut sorted = order.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), order.len(), "{key}: a variable appears twice");
            let declared: Vec<&String> = template.vars.keys().collect();
            assert_eq!(
                declared,
                sorted.iter().collect::<Vec<_>>(),
                "{key}: declared variables differ from those in the text"
            );
            assert!(
                order.len() <= text_rules.max_vars,
                "{key}: too many variables"
            );
            for name in &order {
                assert!(
                    !text_rules.reserved_var_names.contains(name),
                    "{key}: `{name}` is a reserved variable name"
                );
                let first = name.chars().next().unwrap();
                assert!(first.is_ascii_alphabetic(), "{key}: `{name}`");
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{key}: `{name}`"
                );
            }
            // Variables never touch each other (the gateways refuse adjacent variables).
            assert!(!template.text.contains("}${"), "{key}: adjacent variables");
            assert!(!template.name.is_empty() && !template.purpose.is_empty());
            assert!(
                ["notification", "verification"].contains(&template.category.as_str()),
                "{key}: category {}",
                template.category
            );
            if template.category == "verification" {
                // The gateways file a code template only with one of these words in it.
                assert!(template.text.contains("验证码"), "{key}");
            }
        }
    }

    #[test]
    fn the_fixed_text_carries_no_link_no_refused_word_and_no_special_symbol() {
        let text_rules = &rules().template;
        for (key, template) in templates() {
            let fixed = template.fill(
                &template
                    .var_order()
                    .into_iter()
                    .map(|name| (name, String::new()))
                    .collect::<Vec<_>>(),
            );
            for symbol in &text_rules.forbidden_symbols {
                assert!(!fixed.contains(symbol.as_str()), "{key}: `{symbol}`");
            }
            for word in &text_rules.forbidden_words {
                assert!(!fixed.contains(word.as_str()), "{key}: `{word}`");
            }
            for marker in &text_rules.link_markers {
                assert!(
                    !fixed.to_ascii_lowercase().contains(marker.as_str()),
                    "{key}: link `{marker}`"
                );
            }
        }
    }

    #[test]
    fn every_station_signature_keeps_the_signature_rule() {
        let rule = &rules().signature;
        for station in Stations::embedded().unwrap().all() {
            let n = station.sms_signature.chars().count();
            assert!(
                (rule.min_chars..=rule.max_chars).contains(&n),
                "{}: signature {:?}",
                station.id.as_str(),
                station.sms_signature
            );
            assert!(
                station
                    .sms_signature
                    .chars()
                    .all(|c| is_cjk(c) || c.is_ascii_alphanumeric()),
                "{}: signature {:?}",
                station.id.as_str(),
                station.sms_signature
            );
        }
    }

    #[test]
    fn value_types_are_enforced() {
        let r = rules();
        assert!(r.accepts(VarType::Phone, "13800000000"));
        assert!(r.accepts(VarType::Phone, "12333"));
        assert!(r.accepts(VarType::Phone, "0971-8888888"));
        assert!(!r.accepts(VarType::Phone, "t.cn/A1b2"));
        assert!(!r.accepts(VarType::Phone, "1234"));
        assert!(r.accepts(VarType::Time, "12月31日23:59"));
        assert!(!r.accepts(VarType::Time, "工资补贴请点"));
        assert!(r.accepts(VarType::Money, "245.50"));
        assert!(!r.accepts(VarType::Money, "245元"));
        assert!(r.accepts(VarType::Number, "20261203-K7Q2MX"));
        assert!(!r.accepts(VarType::Number, "t.cn/A1b2"));
        assert!(r.accepts(VarType::Text, "建筑装修小工"));
        assert!(!r.accepts(VarType::Text, "工资补贴请点 t.cn/A1b2"));
        assert!(!r.accepts(VarType::Text, "一二三四五六七八九十一二三四五六七八九十一"));
        assert_eq!(r.segments(70), 1);
        assert_eq!(r.segments(71), 2);
        assert_eq!(r.segments(134), 2);
        assert_eq!(r.segments(135), 3);
    }

    /// A notice of `kind` with the longest real values the station can produce.
    fn worst_case(kind: NoticeKind, station: &Station) -> Notice {
        let longest = |names: Vec<&str>| -> String {
            names
                .into_iter()
                .max_by_key(|n| n.chars().count())
                .unwrap_or_default()
                .to_owned()
        };
        let trade = station
            .trades
            .iter()
            .max_by_key(|t| t.name.zh.chars().count())
            .unwrap();
        let district = station
            .districts
            .iter()
            .max_by_key(|d| d.name.zh.chars().count())
            .unwrap();
        assert!(!longest(vec![&trade.name.zh, &district.name.zh]).is_empty());
        let start: NaiveDate = "2026-12-28".parse().unwrap();
        // 23:59 on 31 December in the station's zone, whatever the zone.
        let late: DateTime<Utc> = "2026-12-31T15:59:00Z".parse().unwrap();
        let mut notice = Notice::new(
            station.id.clone(),
            kind,
            ("01JBZX0000000000000000ZZZZ", "01JBZX0000000000000000WWWW"),
            Recipient {
                channel: Channel::Sms,
                phone: MobileNumber::parse("p", "19999999999").unwrap(),
                email: None,
                lang: Lang::Zh,
                consented_at: None,
            },
            NoticeData {
                job: Some(JobSummary {
                    title: "标题不会进入短信".into(),
                    trade: trade.slug.clone(),
                    district: district.slug.clone(),
                    address: "地址不会进入短信".into(),
                    start,
                    end: start + chrono::Duration::days(MAX_SPAN_DAYS - 1),
                    daily_wage: Money::MAX_DAILY_WAGE,
                    pay_terms: "on_completion".into(),
                    headcount: 200,
                    placed: 200,
                    employer_name: "名称不会进入短信".into(),
                }),
                link_path: Some("/api/offers/x?sig=y".into()),
                answer_by: Some(late),
                worker_name: Some("姓名不会进入短信".into()),
                worker_phone: Some(MobileNumber::parse("p", "19999999998").unwrap()),
                contact_name: Some("姓名不会进入短信".into()),
                contact_phone: Some(MobileNumber::parse("p", "19999999997").unwrap()),
                reference: Some(crate::complaint::reference_for(
                    start,
                    "01JBZX0000000000000000ZZZZ",
                )),
                event: Some(EventSummary {
                    title: "课程名不会进入短信".into(),
                    starts_at: late,
                }),
                code: OneTimeCode::parse("999999"),
            },
            late,
        );
        notice.job_id = Some("01JBZX0000000000000000ZZZZ".into());
        notice
    }

    #[test]
    fn every_template_with_the_longest_real_values_keeps_the_rules() {
        let r = rules();
        let mut table =
            String::from("| template | worst-case characters | segments |\n|---|---|---|\n");
        for station in Stations::embedded().unwrap().all() {
            for kind in NoticeKind::ALL {
                let notice = worst_case(kind, station);
                let sms = template_sms(&notice, station)
                    .unwrap_or_else(|e| panic!("{}: {kind:?}: {e}", station.id.as_str()));
                let text = full_text(&sms).unwrap();
                for banned in ["不会进入短信", "http", "/api/"] {
                    assert!(!text.contains(banned), "{kind:?}: {text}");
                }
                for symbol in &r.template.forbidden_symbols {
                    let body = text.split_once('】').map(|(_, b)| b).unwrap_or(&text);
                    assert!(
                        !body.contains(symbol.as_str()),
                        "{kind:?}: `{symbol}` in {text}"
                    );
                }
                let chars = text.chars().count();
                assert!(chars <= r.template.max_chars, "{kind:?}: {chars}");
                let template = &templates()[kind.as_str()];
                let segments = r.segments(chars);
                assert!(
                    segments <= usize::from(template.max_segments),
                    "{kind:?} takes {segments} segments ({chars} characters): {text}"
                );
                table.push_str(&format!("| {} | {chars} | {segments} |\n", kind.as_str()));
            }
        }
        eprintln!("{table}");
    }

    #[test]
    fn a_value_that_breaks_its_type_is_refused_not_sent() {
        let station = Stations::embedded().unwrap().default_station().clone();
        let mut notice = worst_case(NoticeKind::UnpaidReceived, &station);
        notice.data.reference = Some("工资补贴请点 t.cn/A1b2".into());
        assert!(matches!(
            template_sms(&notice, &station),
            Err(TemplateError::BadValue { .. })
        ));
        let mut offer = worst_case(NoticeKind::Offer, &station);
        offer.data.answer_by = None;
        assert!(matches!(
            template_sms(&offer, &station),
            Err(TemplateError::Missing { .. })
        ));
    }

    #[test]
    fn an_offer_reads_as_filed() {
        let station = Stations::embedded().unwrap().default_station().clone();
        let mut notice = worst_case(NoticeKind::Offer, &station);
        let job = notice.data.job.as_mut().unwrap();
        job.trade = "cleaning".into();
        job.district = "chengzhong".into();
        job.start = "2026-12-01".parse().unwrap();
        job.end = "2026-12-03".parse().unwrap();
        job.daily_wage = Money::from_yuan(220);
        job.pay_terms = "daily".into();
        notice.data.answer_by = Some("2026-11-28T04:00:00Z".parse().unwrap());
        let sms = template_sms(&notice, &station).unwrap();
        assert_eq!(
            full_text(&sms).unwrap(),
            format!(
                "【零工驿站】派活通知：保洁，城中区，12月1日起3天，日薪220元，日结。回复1接受，回复2拒绝，11月28日12:00前有效。岗位号00ZZZZ，驿站电话{}。",
                station.hotline
            )
        );
        assert_eq!(
            templates()["offer"].numbered_text(),
            "派活通知：{1}，{2}，{3}起{4}天，日薪{5}元，{6}。回复1接受，回复2拒绝，{7}前有效。岗位号{8}，驿站电话{9}。"
        );
    }

    #[test]
    fn the_code_template_is_a_verification_template_with_a_digits_only_code() {
        let template = &templates()["phone_code"];
        assert!(template.text.contains("验证码"), "{}", template.text);
        assert_eq!(template.vars.get("code"), Some(&VarType::Number));
        assert_eq!(template.max_segments, 1);
        let station = Stations::embedded().unwrap().default_station().clone();
        let mut notice = worst_case(NoticeKind::PhoneCode, &station);
        notice.data.code = OneTimeCode::parse("042917");
        let text = full_text(&template_sms(&notice, &station).unwrap()).unwrap();
        assert!(text.contains("042917"), "{text}");
        // Nothing but 4-6 digits is ever a code, and a notice without one is not sent.
        for bad in ["12345a", "123", "1234567", "t.cn/1", ""] {
            assert_eq!(OneTimeCode::parse(bad), None, "{bad}");
        }
        notice.data.code = None;
        assert!(matches!(
            template_sms(&notice, &station),
            Err(TemplateError::Missing { .. })
        ));
        assert_eq!(
            format!("{:?}", OneTimeCode::parse("042917").unwrap()),
            "OneTimeCode(..)"
        );
    }
}
