//! Console pages for the policy pages (一键读政策): every page, shipped or added, in each
//! language with whether staff changed it; an editor (title, summary, Markdown body)
//! that saves a version-checked copy to the table; adding a page by slug; and reverting
//! to the shipped text. The public site rebuilds from the change stream.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use lingong_core::{
    Lang,
    app::PolicyError,
    i18n::t,
    policy::{PolicySlug, StoredPolicy, parse_lang},
};
use lingong_site::content::PolicyPages;
use minijinja::{context, value::Serde};
use serde::Deserialize;
use serde_json::json;

use super::{StaffRequest, authenticate, authenticate_post};
use crate::AppState;

/// The routes of this part of the console.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/staff/policy", get(policy_list))
        .route("/staff/policy/new", get(new_page))
        .route("/staff/policy/{slug}/{lang}", get(edit_page).post(save))
        .route("/staff/policy/{slug}/{lang}/revert", post(revert))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    done: Option<String>,
    slug: Option<String>,
    lang: Option<String>,
}

fn done_message(lang: Lang, done: Option<&str>) -> Option<&'static str> {
    let key = match done? {
        "saved" => "staff_policy.done_saved",
        "reverted" => "staff_policy.done_reverted",
        _ => return None,
    };
    Some(t(lang, key))
}

fn shipped() -> Option<PolicyPages> {
    match PolicyPages::embedded() {
        Ok(pages) => Some(pages),
        Err(e) => {
            tracing::error!(error = %e, "shipped policy pages unreadable");
            None
        }
    }
}

impl StaffRequest {
    fn policy_failure(&self, state: &AppState, error: PolicyError) -> Response {
        match error {
            PolicyError::Invalid(invalid) => self.invalid(state, &invalid),
            PolicyError::Stale => self.message(state, StatusCode::CONFLICT, "staff_policy.stale"),
            e @ (PolicyError::Store(_) | PolicyError::Audit(_)) => {
                tracing::error!(error = %e, "policy page action failed");
                self.message(state, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
            }
        }
    }
}

/// `GET /staff/policy`: every page by slug, per language: shipped, changed or added.
async fn policy_list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let stored = match state.app.stored_policies(&staff.actor).await {
        Ok(stored) => stored,
        Err(e) => return staff.policy_failure(&state, e.into()),
    };
    let Some(shipped) = shipped() else {
        return staff.message(&state, StatusCode::INTERNAL_SERVER_ERROR, "error.internal");
    };
    let mut slugs: Vec<String> = shipped
        .pages(Lang::Zh)
        .iter()
        .map(|p| p.slug.clone())
        .collect();
    for page in &stored {
        if !slugs.iter().any(|s| s == page.slug.as_str()) {
            slugs.push(page.slug.as_str().to_owned());
        }
    }
    let rows: Vec<_> = slugs
        .iter()
        .map(|slug| {
            let langs: Vec<_> = Lang::ALL
                .iter()
                .map(|lang| {
                    let mine = stored
                        .iter()
                        .find(|p| p.slug.as_str() == slug && p.lang == *lang);
                    let original = shipped.page(*lang, slug);
                    let title = mine
                        .map(|p| p.title.clone())
                        .or_else(|| original.map(|p| p.title.clone()));
                    let status = match (mine, original) {
                        (Some(_), Some(_)) => "changed",
                        (Some(_), None) => "added",
                        (None, Some(_)) => "shipped",
                        (None, None) => "missing",
                    };
                    json!({
                        "lang": lang.tag(),
                        "title": title,
                        "status": t(staff.lang, &format!("staff_policy.status_{status}")),
                        "version": mine.map(|p| p.version),
                        "updated_by": mine.map(|p| p.updated_by.clone()),
                    })
                })
                .collect();
            json!({ "slug": slug, "langs": langs })
        })
        .collect();
    staff.render(
        &state,
        StatusCode::OK,
        "staff/policy_list.html",
        context! { pages => Serde(rows), done => done_message(staff.lang, query.done.as_deref()) },
    )
}

/// `GET /staff/policy/new?slug=…&lang=…`: checks the new page's slug, then opens the
/// editor.
async fn new_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let slug = PolicySlug::parse("slug", query.slug.as_deref().unwrap_or(""));
    let lang = parse_lang("lang", query.lang.as_deref().unwrap_or(""));
    match (slug, lang) {
        (Ok(slug), Ok(lang)) => {
            Redirect::to(&format!("/staff/policy/{}/{}", slug.as_str(), lang.tag())).into_response()
        }
        (Err(e), _) | (_, Err(e)) => staff.invalid(&state, &lingong_core::problem::Invalid::one(e)),
    }
}

fn page_address(slug: &str, lang: &str) -> Option<(PolicySlug, Lang)> {
    Some((
        PolicySlug::parse("slug", slug).ok()?,
        parse_lang("lang", lang).ok()?,
    ))
}

struct Editor<'a> {
    slug: &'a PolicySlug,
    lang: Lang,
    title: String,
    summary: String,
    body: String,
    version: u64,
    stored: Option<&'a StoredPolicy>,
    shipped: bool,
}

impl StaffRequest {
    fn editor(
        &self,
        state: &AppState,
        status: StatusCode,
        editor: Editor<'_>,
        notice: Option<String>,
        done: Option<&str>,
    ) -> Response {
        self.render(
            state,
            status,
            "staff/policy_edit.html",
            context! {
                slug => editor.slug.as_str(),
                page_lang => editor.lang.tag(),
                title => editor.title,
                summary => editor.summary,
                body => editor.body,
                version => editor.version,
                stored => editor.stored.map(|p| json!({
                    "version": p.version,
                    "updated_by": p.updated_by,
                    "updated_at": p.updated_at.with_timezone(&self.station.time_zone).format("%Y-%m-%d %H:%M").to_string(),
                })).map(Serde),
                shipped => editor.shipped,
                notice,
                done => done_message(self.lang, done),
            },
        )
    }
}

/// `GET /staff/policy/{slug}/{lang}`: the editor, holding the stored page, else the
/// shipped text, else nothing (a new page).
async fn edit_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((slug, lang)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    let staff = match authenticate(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some((slug, lang)) = page_address(&slug, &lang) else {
        return staff.message(&state, StatusCode::NOT_FOUND, "error.not_found");
    };
    let stored = match state.app.stored_policy(&staff.actor, &slug, lang).await {
        Ok(stored) => stored,
        Err(e) => return staff.policy_failure(&state, e.into()),
    };
    let shipped = shipped();
    let original = shipped.as_ref().and_then(|s| s.page(lang, slug.as_str()));
    let (title, summary, body) = match (&stored, original) {
        (Some(p), _) => (p.title.clone(), p.summary.clone(), p.body.clone()),
        (None, Some(p)) => (p.title.clone(), p.summary.clone(), p.source.clone()),
        (None, None) => Default::default(),
    };
    staff.editor(
        &state,
        StatusCode::OK,
        Editor {
            slug: &slug,
            lang,
            title,
            summary,
            body,
            version: stored.as_ref().map_or(0, |p| p.version),
            stored: stored.as_ref(),
            shipped: original.is_some(),
        },
        None,
        query.done.as_deref(),
    )
}

/// `POST /staff/policy/{slug}/{lang}`: saves the page (`version` = the one opened).
async fn save(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((slug, lang)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let Some((slug, lang)) = page_address(&slug, &lang) else {
        return staff.message(&state, StatusCode::NOT_FOUND, "error.not_found");
    };
    let Ok(expected) = input.text("version").trim().parse::<u64>() else {
        return staff.message(&state, StatusCode::UNPROCESSABLE_ENTITY, "error.invalid");
    };
    let result = state
        .app
        .save_policy(&staff.actor, &slug, lang, expected, &input)
        .await;
    let again = |status, notice: String| {
        let shipped = shipped()
            .and_then(|s| s.page(lang, slug.as_str()).map(|_| true))
            .unwrap_or(false);
        staff.editor(
            &state,
            status,
            Editor {
                slug: &slug,
                lang,
                title: input.text("title").to_owned(),
                summary: input.text("summary").to_owned(),
                body: input.text("body").to_owned(),
                version: expected,
                stored: None,
                shipped,
            },
            Some(notice),
            None,
        )
    };
    match result {
        Ok(_) => Redirect::to(&format!(
            "/staff/policy/{}/{}?done=saved",
            slug.as_str(),
            lang.tag()
        ))
        .into_response(),
        Err(PolicyError::Invalid(invalid)) => {
            let messages: Vec<String> = invalid.0.iter().map(|e| e.message(staff.lang)).collect();
            again(StatusCode::UNPROCESSABLE_ENTITY, messages.join(" "))
        }
        // The editor's text is shown back so nothing typed is lost.
        Err(PolicyError::Stale) => again(
            StatusCode::CONFLICT,
            t(staff.lang, "staff_policy.stale").to_owned(),
        ),
        Err(e) => staff.policy_failure(&state, e),
    }
}

/// `POST /staff/policy/{slug}/{lang}/revert`: deletes the stored page.
async fn revert(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((slug, lang)): Path<(String, String)>,
    body: Body,
) -> Response {
    let (staff, input) = match authenticate_post(&state, &headers, body).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let Some((slug, lang)) = page_address(&slug, &lang) else {
        return staff.message(&state, StatusCode::NOT_FOUND, "error.not_found");
    };
    let Ok(expected) = input.text("version").trim().parse::<u64>() else {
        return staff.message(&state, StatusCode::UNPROCESSABLE_ENTITY, "error.invalid");
    };
    match state
        .app
        .revert_policy(&staff.actor, &slug, lang, expected)
        .await
    {
        Ok(()) => Redirect::to("/staff/policy?done=reverted").into_response(),
        Err(e) => staff.policy_failure(&state, e),
    }
}
