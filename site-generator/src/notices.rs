//! Notices rendered from the templates under `templates/notices/`: an SMS is
//! `<kind>.sms.txt` (short, starting with the station's 【signature】, ending with the
//! opt-out, and carrying nothing the public typed: no names, titles or addresses; a job
//! is named by its number and trade); an e-mail is `<kind>.email.html` and `<kind>.email.txt` with the subject
//! from the catalogue. Every string comes from the catalogue in the recipient's
//! language.

use std::sync::Arc;

use lingong_core::{
    Lang,
    i18n::{Arg, catalog, t},
    notices::{
        Notice, NoticeKind,
        port::{Address, Message, NoticeRenderer, RenderError},
        sms_catalogue::{job_number, template_sms},
    },
    station::Station,
    worker::Channel,
};
use serde::Serialize;

use crate::Renderer;

/// Longest course title an SMS quotes, in characters (titles staff typed).
const SMS_TITLE_CHARS: usize = 18;

/// The notice templates, with the public origin links are made absolute on.
#[derive(Clone)]
pub struct NoticeTemplates {
    renderer: Arc<Renderer>,
    public_base_url: String,
}

impl std::fmt::Debug for NoticeTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoticeTemplates")
            .field("public_base_url", &self.public_base_url)
            .finish()
    }
}

#[derive(Serialize)]
struct StationNoticeView {
    name: String,
    hotline: String,
    sms_signature: String,
    address: String,
}

#[derive(Serialize)]
struct JobNoticeView {
    /// The job's number (the end of its id), what SMS name a job by: never its title.
    number: String,
    title: String,
    trade: String,
    district: String,
    address: String,
    dates: String,
    wage: String,
    pay: String,
    headcount: u16,
    placed: u16,
    full: bool,
    employer: String,
}

#[derive(Serialize)]
struct NoticeView {
    lang: &'static str,
    kind: &'static str,
    subject: String,
    station: StationNoticeView,
    job: Option<JobNoticeView>,
    link: Option<String>,
    answer_by: Option<String>,
    worker_name: Option<String>,
    worker_phone: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    reference: Option<String>,
    event_title: Option<String>,
    event_when: Option<String>,
    code: Option<String>,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// A day as the recipient reads it: `12月1日`, `1 Dec`.
pub fn day_text(day: chrono::NaiveDate, lang: Lang) -> String {
    day.format(t(lang, "notice.day_format")).to_string()
}

impl NoticeTemplates {
    /// Notice templates on `renderer`, with links made absolute on `public_base_url`
    /// (e.g. `https://lingong.example.cn`).
    pub fn new(renderer: Arc<Renderer>, public_base_url: &str) -> NoticeTemplates {
        NoticeTemplates {
            renderer,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    fn view(&self, notice: &Notice, station: &Station) -> NoticeView {
        let lang = notice.to.lang;
        let data = &notice.data;
        let job = data.job.as_ref().map(|job| {
            let dates = if job.start == job.end {
                catalog().format(
                    lang,
                    "notice.one_day",
                    &[("day", Arg::Text(day_text(job.start, lang)))],
                )
            } else {
                catalog().format(
                    lang,
                    "notice.date_range",
                    &[
                        ("start", Arg::Text(day_text(job.start, lang))),
                        ("end", Arg::Text(day_text(job.end, lang))),
                    ],
                )
            };
            JobNoticeView {
                number: job_number(
                    notice
                        .job_id
                        .as_deref()
                        .or_else(|| notice.id.split('.').next())
                        .unwrap_or_default(),
                ),
                title: job.title.clone(),
                trade: station
                    .trade(&job.trade)
                    .map(|t| t.name.get(lang).to_owned())
                    .unwrap_or_else(|| job.trade.clone()),
                district: station
                    .district(&job.district)
                    .map(|d| d.name.get(lang).to_owned())
                    .unwrap_or_else(|| job.district.clone()),
                address: job.address.clone(),
                dates,
                wage: catalog().format(
                    lang,
                    "notice.wage",
                    &[("wage", Arg::Text(job.daily_wage.to_string()))],
                ),
                pay: t(lang, &format!("pay_terms.{}", job.pay_terms)).to_owned(),
                headcount: job.headcount,
                placed: job.placed,
                full: job.placed >= job.headcount,
                employer: job.employer_name.clone(),
            }
        });
        let answer_by = data.answer_by.map(|at| {
            let local = at.with_timezone(&station.time_zone);
            format!(
                "{} {}",
                day_text(local.date_naive(), lang),
                local.format(t(lang, "notice.time_format"))
            )
        });
        let title = job.as_ref().map(|j| j.title.clone()).unwrap_or_default();
        let subject_key = format!("notice.{}.subject", notice.kind.as_str());
        let subject = if catalog().has(Lang::Zh, &subject_key) {
            catalog().format(lang, &subject_key, &[("title", Arg::Text(title))])
        } else {
            station.name.get(lang).to_owned()
        };
        NoticeView {
            lang: lang.tag(),
            kind: notice.kind.as_str(),
            subject,
            station: StationNoticeView {
                name: station.name.get(lang).to_owned(),
                hotline: station.hotline.clone(),
                sms_signature: station.sms_signature.clone(),
                address: station.address.get(lang).to_owned(),
            },
            job,
            link: data
                .link_path
                .as_ref()
                .map(|path| format!("{}{path}", self.public_base_url)),
            answer_by,
            worker_name: data.worker_name.clone(),
            worker_phone: data.worker_phone.as_ref().map(|p| p.as_str().to_owned()),
            contact_name: data.contact_name.clone(),
            contact_phone: data.contact_phone.as_ref().map(|p| p.as_str().to_owned()),
            reference: data.reference.clone(),
            event_title: data
                .event
                .as_ref()
                .map(|e| shorten(&e.title, SMS_TITLE_CHARS)),
            event_when: data.event.as_ref().map(|e| {
                let local = e.starts_at.with_timezone(&station.time_zone);
                format!(
                    "{} {}",
                    day_text(local.date_naive(), lang),
                    local.format(t(lang, "notice.time_format"))
                )
            }),
            code: data.code.as_ref().map(|c| c.digits().to_owned()),
        }
    }

    fn render_template(
        &self,
        notice: &Notice,
        name: &str,
        view: &NoticeView,
    ) -> Result<String, RenderError> {
        self.renderer
            .render(name, minijinja::Value::from(minijinja::value::Serde(view)))
            .map_err(|e| RenderError {
                notice: notice.id.clone(),
                reason: e.to_string(),
            })
    }

    fn has_template(&self, name: &str) -> bool {
        self.renderer.template_names().any(|n| n == name)
    }
}

/// One line, trimmed: SMS templates may wrap for readability.
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("")
}

impl NoticeRenderer for NoticeTemplates {
    fn render(&self, notice: &Notice, station: &Station) -> Result<Message, RenderError> {
        let view = self.view(notice, station);
        let kind = notice.kind.as_str();
        let sms = format!("notices/{kind}.sms.txt");
        let from_name = station.name.get(notice.to.lang).to_owned();
        match (notice.to.channel, &notice.to.email) {
            (Channel::Email, Some(email)) => {
                let html_name = format!("notices/{kind}.email.html");
                let text_name = format!("notices/{kind}.email.txt");
                let (text, html) = if self.has_template(&html_name) {
                    (
                        self.render_template(notice, &text_name, &view)?,
                        Some(self.render_template(notice, &html_name, &view)?),
                    )
                } else {
                    // Kinds that only ever answer an SMS have no e-mail layout.
                    (one_line(&self.render_template(notice, &sms, &view)?), None)
                };
                Ok(Message {
                    notice_id: notice.id.clone(),
                    to: Address::Email(email.clone()),
                    from_name,
                    subject: Some(view.subject.clone()),
                    text: text.trim().to_owned() + "\n",
                    html,
                    sms_template: None,
                })
            }
            _ => Ok(Message {
                notice_id: notice.id.clone(),
                to: Address::Sms(notice.to.phone.clone()),
                from_name,
                subject: None,
                text: one_line(&self.render_template(notice, &sms, &view)?),
                html: None,
                // Mainland gateways send the filed template instead of the text.
                sms_template: Some(template_sms(notice, station).map_err(|e| RenderError {
                    notice: notice.id.clone(),
                    reason: e.to_string(),
                })?),
            }),
        }
    }
}

/// Every kind has an SMS template; kinds sent by e-mail have both e-mail parts.
pub fn template_names(kind: NoticeKind) -> Vec<String> {
    let kind = kind.as_str();
    vec![
        format!("notices/{kind}.sms.txt"),
        format!("notices/{kind}.email.html"),
        format!("notices/{kind}.email.txt"),
    ]
}

#[cfg(test)]
mod tests {
    use lingong_core::{
        money::Money,
        notices::{JobSummary, NoticeData, Recipient},
        phone::{Email, MobileNumber},
        station::Stations,
    };

    use super::*;

    fn station() -> Arc<Station> {
        Stations::embedded().unwrap().default_station().clone()
    }

    fn templates() -> NoticeTemplates {
        NoticeTemplates::new(
            Arc::new(Renderer::new().unwrap()),
            "https://lingong.example.cn/",
        )
    }

    fn notice(kind: NoticeKind, lang: Lang, email: bool) -> Notice {
        let now = "2026-11-28T02:00:00Z".parse().unwrap();
        Notice::new(
            station().id.clone(),
            kind,
            ("01JOB", "01WKR"),
            Recipient {
                channel: if email { Channel::Email } else { Channel::Sms },
                phone: MobileNumber::parse("p", "13900000002").unwrap(),
                email: email.then(|| Email::parse("e", "ma@example.com").unwrap()),
                lang,
                consented_at: None,
            },
            NoticeData {
                job: Some(JobSummary {
                    title: "小区楼道及电梯间保洁<script>".into(),
                    trade: "cleaning".into(),
                    district: "chengzhong".into(),
                    address: "城中区南关街附近小区".into(),
                    start: "2026-12-01".parse().unwrap(),
                    end: "2026-12-03".parse().unwrap(),
                    daily_wage: Money::from_yuan(220),
                    pay_terms: "daily".into(),
                    headcount: 2,
                    placed: 1,
                    employer_name: "城中区某物业服务公司".into(),
                }),
                link_path: Some("/api/offers/AbCdEfGhIjKlMnOp?sig=QrStUvWxYz012345".into()),
                answer_by: Some("2026-11-28T04:00:00Z".parse().unwrap()),
                worker_name: Some("马秀英".into()),
                worker_phone: Some(MobileNumber::parse("p", "13900000002").unwrap()),
                contact_name: Some("王经理".into()),
                contact_phone: Some(MobileNumber::parse("p", "13900000100").unwrap()),
                reference: Some("20261203-K7Q2MX".into()),
                event: Some(lingong_core::notices::EventSummary {
                    title: "家政服务员（育婴方向）免费培训".into(),
                    starts_at: "2026-12-05T01:30:00Z".parse().unwrap(),
                }),
                code: lingong_core::notices::OneTimeCode::parse("042917"),
            },
            now,
        )
    }

    #[test]
    fn an_offer_sms_is_short_signed_and_says_how_to_opt_out() {
        let message = templates()
            .render(&notice(NoticeKind::Offer, Lang::Zh, false), &station())
            .unwrap();
        let text = &message.text;
        assert!(text.starts_with("【零工驿站】岗位通知："), "{text}");
        assert!(text.ends_with("回复TD退订"), "{text}");
        assert!(text.contains("城中区") && text.contains("220元/天") && text.contains("日结"));
        assert!(text.contains("12月1日至12月3日"), "{text}");
        assert!(text.contains("https://lingong.example.cn/api/offers/AbCdEfGhIjKlMnOp?sig="));
        assert!(text.contains("回复1接受") && text.contains("回复2拒绝"));
        // 12:00 in Xining is the answer time.
        assert!(text.contains("11月28日 12:00"), "{text}");
        assert!(!text.contains('\n'));
        // Three SMS segments at most (67 characters each for Chinese text).
        assert!(
            text.chars().count() <= 3 * 67,
            "{} chars: {text}",
            text.chars().count()
        );
        assert_eq!(
            message.to,
            Address::Sms(MobileNumber::parse("p", "13900000002").unwrap())
        );
    }

    #[test]
    fn english_sms_come_from_the_same_templates() {
        let message = templates()
            .render(&notice(NoticeKind::Offer, Lang::En, false), &station())
            .unwrap();
        assert!(
            message.text.starts_with("【零工驿站】Job notice:"),
            "{}",
            message.text
        );
        assert!(
            message.text.contains("Chengzhong District") && message.text.contains("1 Dec to 3 Dec")
        );
        assert!(
            message.text.ends_with("Reply TD to unsubscribe."),
            "{}",
            message.text
        );
    }

    #[test]
    fn every_kind_renders_as_sms_in_both_languages() {
        for kind in NoticeKind::ALL {
            for lang in Lang::ALL {
                let message = templates()
                    .render(&notice(kind, lang, false), &station())
                    .unwrap_or_else(|e| panic!("{kind:?} {lang:?}: {e}"));
                assert!(
                    message.text.starts_with("【零工驿站】"),
                    "{kind:?}: {}",
                    message.text
                );
                assert!(!message.text.contains("{"), "{kind:?}: {}", message.text);
                // A code is not a message one unsubscribes from.
                if !matches!(
                    kind,
                    NoticeKind::Unsubscribed | NoticeKind::SmsHelp | NoticeKind::PhoneCode
                ) {
                    assert!(
                        message.text.ends_with(t(lang, "notice.opt_out")),
                        "{kind:?}: {}",
                        message.text
                    );
                }
            }
        }
    }

    #[test]
    fn the_pay_follow_up_says_how_to_answer_and_the_confirmation_names_the_reference() {
        let asked = templates()
            .render(&notice(NoticeKind::PaidCheck, Lang::Zh, false), &station())
            .unwrap();
        let text = &asked.text;
        assert!(
            text.contains("结清回复3") && text.contains("没结清回复4"),
            "{text}"
        );
        assert!(text.contains("https://lingong.example.cn/api/"), "{text}");
        assert!(text.chars().count() <= 3 * 67, "{text}");
        let told = templates()
            .render(
                &notice(NoticeKind::UnpaidReceived, Lang::Zh, false),
                &station(),
            )
            .unwrap();
        assert!(told.text.contains("编号20261203-K7Q2MX"), "{}", told.text);
        assert!(told.text.contains("12333"), "{}", told.text);
    }

    #[test]
    fn a_cancelled_course_is_named_with_its_time() {
        let told = templates()
            .render(
                &notice(NoticeKind::CourseCancelled, Lang::Zh, false),
                &station(),
            )
            .unwrap();
        assert!(told.text.contains("家政服务员"), "{}", told.text);
        assert!(told.text.contains("12月5日 09:30"), "{}", told.text);
        assert!(told.text.ends_with("回复TD退订"), "{}", told.text);
    }

    #[test]
    fn no_sms_carries_a_name_title_or_address_the_public_typed() {
        // What members of the public typed: the worker's and contact's names, the job's
        // title, address and employer. An SMS goes out under the station's signature, so
        // none of it may ride along ("工资补贴请点 t.cn/A1b2" in a name was sent once).
        let typed = [
            "马秀英",
            "王经理",
            "小区楼道",
            "<script>",
            "南关街",
            "物业服务公司",
        ];
        for kind in NoticeKind::ALL {
            for lang in Lang::ALL {
                let text = templates()
                    .render(&notice(kind, lang, false), &station())
                    .unwrap()
                    .text;
                for word in typed {
                    assert!(!text.contains(word), "{kind:?} {lang:?}: {text}");
                }
            }
        }
        // The employer still learns whom to expect: the number, by job number.
        let told = templates()
            .render(
                &notice(NoticeKind::WorkerPlaced, Lang::Zh, false),
                &station(),
            )
            .unwrap()
            .text;
        assert!(
            told.contains("13900000002") && told.contains("岗位号01JOB"),
            "{told}"
        );
    }

    #[test]
    fn the_employer_gets_the_workers_name_and_full_number() {
        let message = templates()
            .render(
                &notice(NoticeKind::WorkerPlaced, Lang::Zh, true),
                &station(),
            )
            .unwrap();
        assert_eq!(
            message.subject.as_deref(),
            Some("有人接活：小区楼道及电梯间保洁<script>")
        );
        assert!(message.text.contains("马秀英") && message.text.contains("13900000002"));
        let html = message.html.unwrap();
        assert!(html.contains("马秀英") && html.contains("13900000002"));
        // HTML is escaped, the plain text is not.
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(message.text.contains("<script>"));
        assert!(html.contains("已确定 1 人，共招 2 人"), "{html}");
    }

    #[test]
    fn email_kinds_have_both_parts() {
        let renderer = Renderer::new().unwrap();
        for kind in [
            NoticeKind::Offer,
            NoticeKind::Placed,
            NoticeKind::WorkerPlaced,
            NoticeKind::PaidCheck,
        ] {
            for name in template_names(kind) {
                assert!(
                    renderer.template_names().any(|n| n == name),
                    "{name} missing"
                );
            }
            for lang in Lang::ALL {
                let message = templates()
                    .render(&notice(kind, lang, true), &station())
                    .unwrap();
                assert!(message.html.is_some(), "{kind:?}");
                assert!(message.text.contains(t(lang, "notice.automated_note")));
            }
        }
    }
}
