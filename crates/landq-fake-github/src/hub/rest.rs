//! The REST side of the fake: authentication, fault injection, request
//! records and the routes landq calls.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use axum::body::Bytes;
use axum::extract::{Request, State as AxumState};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use git2::Oid;
use serde_json::{Value, json};

use super::git::{head_sha, resolve, tip};
use super::{Fault, Hub, Repo, Seen, World, text};

/// An answer: status and JSON body.
pub(super) type Answer = (StatusCode, Value);

pub(super) fn not_found() -> Answer {
    (StatusCode::NOT_FOUND, json!({"message": "Not Found"}))
}

pub(super) async fn serve(AxumState(hub): AxumState<Hub>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query: HashMap<String, String> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let auth = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let if_none_match = request
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let wants_json = request
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    if path.starts_with("/login/oauth/") {
        return oauth_flow(&hub, &method, &path, query, &bytes, wants_json);
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);

    let (seen, fault) = {
        let mut world = hub.world();
        let seen = world.seen.len();
        world.seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            body: body.clone(),
            status: 0,
        });
        let fault = world
            .faults
            .iter_mut()
            .find(|(m, p, _, left)| *m == method && *p == path && *left > 0)
            .map(|(_, _, fault, left)| {
                *left -= 1;
                fault.clone()
            });
        (seen, fault)
    };
    match &fault {
        Some(Fault::Status(status, headers)) => {
            hub.world().seen[seen].status = *status;
            return crate::stub::respond(*status, headers, &json!({"message": "injected fault"}));
        }
        Some(Fault::Before(action)) => action(&hub),
        _ => {}
    }

    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (status, value) = {
        let mut world = hub.world();
        let answer = match world.authorize(&method, &segments, auth.as_deref()) {
            Err(answer) => answer,
            Ok(Some(answer)) => answer,
            Ok(None) => world.route(&method, &segments, &query, &body),
        };
        world.seen[seen].status = answer.0.as_u16();
        answer
    };
    hub.start_ci_runs();
    if let Some(Fault::Hang) = fault {
        std::future::pending::<()>().await;
    }
    let body = value.to_string();
    if method != Method::GET || status != StatusCode::OK {
        return (status, body).into_response();
    }
    // As GitHub: every read carries an ETag; a request that sends it back
    // in If-None-Match gets 304 and no body when nothing changed.
    let etag = format!("W/\"{:016x}\"", fnv1a(body.as_bytes()));
    if if_none_match.as_deref() == Some(etag.as_str()) {
        hub.world().seen[seen].status = 304;
        return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
    }
    (status, [("etag", etag)], body).into_response()
}

/// The OAuth web flow: parameters from the query, a form body or JSON.
fn oauth_flow(
    hub: &Hub,
    method: &Method,
    path: &str,
    mut params: HashMap<String, String>,
    body: &[u8],
    wants_json: bool,
) -> Response {
    match serde_json::from_slice::<HashMap<String, String>>(body) {
        Ok(json) => params.extend(json),
        Err(_) => params.extend(form_urlencoded::parse(body).into_owned()),
    }
    let mut world = hub.world();
    world.seen.push(Seen {
        method: method.to_string(),
        path: path.to_owned(),
        body: Value::Null,
        status: 0,
    });
    let response = world.oauth.answer(method, path, &params, wants_json);
    if let Some(seen) = world.seen.last_mut() {
        seen.status = response.status().as_u16();
    }
    response
}

/// FNV-1a, for the fake's ETags.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl World {
    /// Checks the caller's credentials; answers the App's own endpoints.
    /// An installation token opens only its installation's repositories.
    fn authorize(
        &mut self,
        method: &Method,
        segments: &[&str],
        auth: Option<&str>,
    ) -> Result<Option<Answer>, Answer> {
        let unauthorized = (
            StatusCode::UNAUTHORIZED,
            json!({"message": "Bad credentials"}),
        );
        let bearer = auth
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("token "))
            })
            .unwrap_or("");
        if let Some(answer) = self.as_person(method, segments, bearer) {
            return Ok(Some(answer));
        }
        let by_installation = self.repos_by_installation();
        if let Some(app) = &mut self.app {
            if let Some(answer) = app.answer(method, segments, bearer, &by_installation)? {
                return Ok(Some(answer));
            }
            let installation = app.installation_of(bearer)?;
            return match segments {
                ["repos", owner, name, ..] => {
                    let full = format!("{owner}/{name}");
                    match self.repos.get(&full) {
                        Some(repo) if repo.installation == Some(installation) => Ok(None),
                        _ => Err(not_found()),
                    }
                }
                _ => Ok(None),
            };
        }
        match &self.token {
            Some(token) if token != bearer => Err(unauthorized),
            _ => Ok(None),
        }
    }

    fn repos_by_installation(&self) -> HashMap<u64, Vec<String>> {
        let mut map: HashMap<u64, Vec<String>> = HashMap::new();
        for (name, repo) in &self.repos {
            if let Some(id) = repo.installation {
                map.entry(id).or_default().push(name.clone());
            }
        }
        map
    }

    fn route(
        &mut self,
        method: &Method,
        segments: &[&str],
        query: &HashMap<String, String>,
        body: &Value,
    ) -> Answer {
        match (method.as_str(), segments) {
            // The token's own account (an installation token gets 403 on GitHub).
            ("GET", ["user"]) => (
                StatusCode::OK,
                json!({"login": "landq-bot", "id": 1, "type": "User"}),
            ),
            ("GET", ["users", login]) => match self.users.get(*login) {
                Some((email, followers)) => (
                    StatusCode::OK,
                    json!({
                        "login": login, "id": 7, "type": "User",
                        "html_url": format!("https://github.com/{login}"),
                        "avatar_url": format!("https://avatars.githubusercontent.com/{login}"),
                        "email": email, "followers": followers,
                    }),
                ),
                None => not_found(),
            },
            ("GET", ["orgs", org, "teams", slug, "memberships", login]) => {
                match self.teams.get(&format!("{org}/{slug}")) {
                    Some(members) if members.contains(*login) => {
                        (StatusCode::OK, json!({"state": "active", "role": "member"}))
                    }
                    _ => not_found(),
                }
            }
            (_, ["repos", owner, name, rest @ ..]) => {
                let full = format!("{owner}/{name}");
                let next_id = &mut self.next_id;
                let Some(repo) = self.repos.get_mut(&full) else {
                    return not_found();
                };
                let call = Call {
                    method: method.as_str(),
                    query,
                    body,
                };
                repo.route(&full, &call, rest, next_id)
            }
            _ => not_found(),
        }
    }
}

/// One request to a repository route.
struct Call<'a> {
    method: &'a str,
    query: &'a HashMap<String, String>,
    body: &'a Value,
}

impl Call<'_> {
    /// The `page` of `items` the query asks for (`per_page`, `page`).
    fn page(&self, items: Vec<Value>) -> Answer {
        let number = |key: &str, default| {
            self.query
                .get(key)
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(default)
        };
        let (per_page, page) = (number("per_page", 30), number("page", 1).max(1));
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        (StatusCode::OK, Value::Array(slice))
    }
}

impl Repo {
    /// Routes a request under `/repos/{full}/` by resource.
    fn route(&mut self, full: &str, call: &Call<'_>, rest: &[&str], next_id: &mut u64) -> Answer {
        match rest.first().copied() {
            None if call.method == "GET" => (StatusCode::OK, self.summary(full)),
            Some("pulls") => self.pulls_route(full, call, rest),
            Some("issues") => self.issues_route(call, rest, next_id),
            Some("commits" | "statuses" | "check-runs") => self.checks_route(call, rest, next_id),
            Some("merges") => self.data_route(call.method, rest, call.body),
            Some("git") if rest.get(1) != Some(&"blobs") => {
                self.data_route(call.method, rest, call.body)
            }
            _ => self.contents_route(full, call, rest),
        }
    }

    /// The repository as `GET /repos/{owner}/{repo}` shows it.
    pub(super) fn summary(&self, full: &str) -> Value {
        let (owner, name) = full.split_once('/').unwrap_or((full, full));
        json!({
            "id": fnv1a(full.as_bytes()) >> 12,
            "name": name,
            "full_name": full,
            "owner": {"login": owner},
            "private": self.private,
            "visibility": if self.private { "private" } else { "public" },
            "default_branch": self.default_branch,
            "html_url": format!("https://github.com/{full}"),
        })
    }

    /// Pull requests: read, reviews, files, merge.
    fn pulls_route(&mut self, full: &str, call: &Call<'_>, rest: &[&str]) -> Answer {
        let number = |n: &str| n.parse::<u64>().ok();
        let body = call.body;
        match (call.method, rest) {
            ("GET", ["pulls"]) => {
                // Open ones by default; newest first, as GitHub sorts.
                let state = call.query.get("state").map_or("open", String::as_str);
                let mut numbers: Vec<u64> = self
                    .pulls
                    .iter()
                    .filter(|(_, p)| state == "all" || p.open == (state == "open"))
                    .map(|(n, _)| *n)
                    .collect();
                numbers.sort_by(|a, b| {
                    let at = |n: &u64| self.pulls[n].created_at.clone();
                    at(b).cmp(&at(a)).then(b.cmp(a))
                });
                call.page(numbers.iter().map(|n| self.pull_json(full, *n)).collect())
            }
            ("GET", ["pulls", n]) => match number(n).filter(|n| self.pulls.contains_key(n)) {
                Some(n) => (StatusCode::OK, self.pull_json(full, n)),
                None => not_found(),
            },
            ("GET", ["pulls", n, "reviews"]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get(&n)) else {
                    return not_found();
                };
                call.page(pull.reviews.iter().map(|(user, state, commit)| {
                    json!({"user": {"login": user}, "state": state, "commit_id": commit})
                }).collect())
            }
            ("GET", ["pulls", n, "files"]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                call.page(
                    self.files(n)
                        .into_iter()
                        .map(|f| json!({"filename": f, "status": "modified"}))
                        .collect(),
                )
            }
            ("PUT", ["pulls", n, "merge"]) => {
                match number(n).filter(|n| self.pulls.contains_key(n)) {
                    Some(n) => self.merge(n, body),
                    None => not_found(),
                }
            }
            // Update a pull request: only `state` is honoured (close, reopen).
            ("PATCH", ["pulls", n]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                match body["state"].as_str() {
                    Some("closed") => self.pull(n).open = false,
                    Some("open") => self.pull(n).open = true,
                    Some(_) => {
                        return (
                            StatusCode::UNPROCESSABLE_ENTITY,
                            json!({"message": "Validation Failed"}),
                        );
                    }
                    None => {}
                }
                (StatusCode::OK, self.pull_json(full, n))
            }
            _ => not_found(),
        }
    }

    /// Issues: label events, the labelled list, comments, label removal.
    fn issues_route(&mut self, call: &Call<'_>, rest: &[&str], next_id: &mut u64) -> Answer {
        let number = |n: &str| n.parse::<u64>().ok();
        let (query, body) = (call.query, call.body);
        match (call.method, rest) {
            ("GET", ["issues", n, "events"]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get(&n)) else {
                    return not_found();
                };
                call.page(pull.events.iter().map(|(event, actor, label, at)| {
                    json!({"event": event, "actor": {"login": actor}, "label": {"name": label}, "created_at": at})
                }).collect())
            }
            ("GET", ["issues"]) => {
                let label = query.get("labels").cloned().unwrap_or_default();
                call.page(
                    self.pulls
                        .iter()
                        .filter(|(_, p)| p.open && (label.is_empty() || p.labels.contains(&label)))
                        .map(|(n, _)| json!({"number": n, "pull_request": {}}))
                        .collect(),
                )
            }
            ("POST", ["issues", n, "comments"]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                *next_id += 1;
                self.comments.push((n, *next_id, text(&body["body"])));
                (
                    StatusCode::CREATED,
                    json!({"id": *next_id, "body": body["body"]}),
                )
            }
            ("GET", ["issues", n, "comments"]) => {
                let Some(n) = number(n).filter(|n| self.pulls.contains_key(n)) else {
                    return not_found();
                };
                call.page(
                    self.comments
                        .iter()
                        .filter(|(pr, _, _)| *pr == n)
                        .map(|(_, id, body)| json!({"id": id, "body": body, "user": {"login": "landq[bot]"}}))
                        .collect(),
                )
            }
            ("PATCH", ["issues", "comments", id]) => {
                let Some(comment) = self
                    .comments
                    .iter_mut()
                    .find(|(_, c, _)| Some(*c) == number(id))
                else {
                    return not_found();
                };
                comment.2 = text(&body["body"]);
                (StatusCode::OK, json!({"id": comment.1, "body": comment.2}))
            }
            ("DELETE", ["issues", n, "labels", label]) => {
                let Some(pull) = number(n).and_then(|n| self.pulls.get_mut(&n)) else {
                    return not_found();
                };
                let before = pull.labels.len();
                pull.labels.retain(|l| l != label);
                if pull.labels.len() == before {
                    return (
                        StatusCode::NOT_FOUND,
                        json!({"message": "Label does not exist"}),
                    );
                }
                (
                    StatusCode::OK,
                    json!(
                        pull.labels
                            .iter()
                            .map(|l| json!({"name": l}))
                            .collect::<Vec<_>>()
                    ),
                )
            }
            _ => not_found(),
        }
    }

    /// The rulesets' rules that apply to `branch`, as
    /// `GET /repos/{o}/{r}/rules/branches/{branch}` lists them.
    fn rules_for(&self, full: &str, branch: &str) -> Vec<Value> {
        let applies = |ruleset: &Value| {
            let include = &ruleset["conditions"]["ref_name"]["include"];
            include.as_array().into_iter().flatten().any(|name| {
                let name = name.as_str().unwrap_or("");
                name == "~ALL"
                    || (name == "~DEFAULT_BRANCH" && branch == self.default_branch)
                    || name == format!("refs/heads/{branch}")
            })
        };
        self.rulesets
            .iter()
            .filter(|r| r["enforcement"] == "active" && applies(r))
            .flat_map(|r| {
                r["rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut rule| {
                        rule["ruleset_source_type"] = json!("Repository");
                        rule["ruleset_source"] = json!(full);
                        rule["ruleset_id"] = r["id"].clone();
                        rule
                    })
            })
            .collect()
    }

    /// Repository contents, blobs and collaborators' permissions.
    fn contents_route(&mut self, full: &str, call: &Call<'_>, rest: &[&str]) -> Answer {
        let query = call.query;
        match (call.method, rest) {
            ("GET", ["branches", branch, "protection"]) => match self.protection.get(*branch) {
                Some(protection) => (StatusCode::OK, protection.clone()),
                None => (
                    StatusCode::NOT_FOUND,
                    json!({"message": "Branch not protected"}),
                ),
            },
            ("GET", ["rules", "branches", branch]) => call.page(self.rules_for(full, branch)),
            ("GET", ["rulesets", id]) => {
                match self
                    .rulesets
                    .iter()
                    .find(|r| id.parse().ok() == r["id"].as_u64())
                {
                    Some(ruleset) => (StatusCode::OK, ruleset.clone()),
                    None => not_found(),
                }
            }
            ("GET", ["collaborators", login, "permission"]) => {
                let role = self
                    .permissions
                    .get(*login)
                    .cloned()
                    .unwrap_or_else(|| "read".into());
                let permission = match role.as_str() {
                    "maintain" => "write",
                    "triage" => "read",
                    other => other,
                };
                (
                    StatusCode::OK,
                    json!({"permission": permission, "role_name": role}),
                )
            }
            ("GET", ["contents", path @ ..]) => {
                let reference = query
                    .get("ref")
                    .cloned()
                    .unwrap_or_else(|| self.default_branch.clone());
                self.contents(&path.join("/"), &reference)
            }
            ("GET", ["git", "blobs", sha]) => match Oid::from_str(sha)
                .ok()
                .and_then(|o| self.git.find_blob(o).ok())
            {
                Some(blob) => (
                    StatusCode::OK,
                    json!({"sha": sha, "encoding": "base64", "content": STANDARD.encode(blob.content()), "size": blob.size()}),
                ),
                None => not_found(),
            },
            _ => not_found(),
        }
    }

    /// Commits' pull requests, check runs and statuses.
    fn checks_route(&mut self, call: &Call<'_>, rest: &[&str], next_id: &mut u64) -> Answer {
        let number = |n: &str| n.parse::<u64>().ok();
        let body = call.body;
        match (call.method, rest) {
            ("GET", ["commits", sha, "pulls"]) => {
                let pulls: Vec<Value> = self.pulls.keys().copied().collect::<Vec<_>>().into_iter()
                    .filter(|n| head_sha(self, *n) == *sha)
                    .map(|n| {
                        let p = &self.pulls[&n];
                        json!({"number": n, "state": if p.open { "open" } else { "closed" }, "head": {"sha": sha, "ref": p.head}})
                    })
                    .collect();
                (StatusCode::OK, Value::Array(pulls))
            }
            ("GET", ["commits", sha, "check-runs"]) => {
                let runs: Vec<Value> = self
                    .check_runs
                    .iter()
                    .filter(|r| r["head_sha"] == *sha)
                    .cloned()
                    .collect();
                (
                    StatusCode::OK,
                    json!({"total_count": runs.len(), "check_runs": runs}),
                )
            }
            ("GET", ["commits", sha, "status"]) => {
                let mut latest: BTreeMap<String, Value> = BTreeMap::new();
                for (s, status) in &self.statuses {
                    if s == sha {
                        latest.insert(text(&status["context"]), status.clone());
                    }
                }
                (
                    StatusCode::OK,
                    json!({"sha": sha, "statuses": latest.into_values().collect::<Vec<_>>()}),
                )
            }
            ("POST", ["statuses", sha]) => {
                self.statuses.push((sha.to_string(), body.clone()));
                *next_id += 1;
                (StatusCode::CREATED, json!({"id": *next_id}))
            }
            ("POST", ["check-runs"]) => {
                *next_id += 1;
                let mut run = body.clone();
                run["id"] = json!(*next_id);
                self.check_runs.push(run);
                (StatusCode::CREATED, json!({"id": *next_id}))
            }
            ("PATCH", ["check-runs", id]) => {
                let Some(run) = self
                    .check_runs
                    .iter_mut()
                    .find(|r| r["id"].as_u64() == number(id))
                else {
                    return not_found();
                };
                for (k, v) in body.as_object().into_iter().flatten() {
                    run[k] = v.clone();
                }
                (StatusCode::OK, run.clone())
            }
            _ => not_found(),
        }
    }

    fn pull_json(&self, full: &str, number: u64) -> Value {
        let pull = &self.pulls[&number];
        let base_tip = tip(&self.git, &pull.base)
            .map(|o| o.to_string())
            .unwrap_or_default();
        let head = head_sha(self, number);
        let merged = pull.merge_commit.is_some();
        json!({
            "number": number,
            "user": {"login": pull.author},
            "head": {"sha": head, "ref": pull.head},
            "base": {"sha": base_tip, "ref": pull.base, "repo": {"full_name": full, "default_branch": self.default_branch}},
            "title": pull.title,
            "body": pull.body,
            "state": if pull.open { "open" } else { "closed" },
            "merged": merged,
            "draft": pull.draft,
            "created_at": pull.created_at,
            "html_url": format!("https://github.com/{full}/pull/{number}"),
            "requested_reviewers": pull.requested.iter().filter(|r| !r.contains('/')).map(|r| json!({"login": r})).collect::<Vec<_>>(),
            "requested_teams": pull.requested.iter().filter_map(|r| r.split_once('/')).map(|(_, slug)| json!({"slug": slug})).collect::<Vec<_>>(),
            "mergeable": if pull.open { Some(self.merged(number).is_some()) } else { None },
            "labels": pull.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
            "changed_files": self.files(number).len(),
            "merge_commit_sha": pull.merge_commit,
        })
    }

    fn contents(&self, path: &str, reference: &str) -> Answer {
        let Some(tree) = resolve(&self.git, reference)
            .and_then(|o| self.git.find_commit(o).ok())
            .and_then(|c| c.tree().ok())
        else {
            return not_found();
        };
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return not_found();
        };
        let object = entry.to_object(&self.git).unwrap();
        if let Some(dir) = object.as_tree() {
            let items: Vec<Value> = dir.iter().map(|e| {
                let name = e.name().unwrap_or("").to_owned();
                let kind = if e.kind() == Some(git2::ObjectType::Tree) { "dir" } else { "file" };
                json!({"name": name, "path": format!("{path}/{name}"), "sha": e.id().to_string(), "type": kind})
            }).collect();
            return (StatusCode::OK, Value::Array(items));
        }
        let blob = object.peel_to_blob().unwrap();
        (
            StatusCode::OK,
            json!({"name": entry.name().unwrap_or(""), "path": path, "sha": blob.id().to_string(), "type": "file", "encoding": "base64", "content": STANDARD.encode(blob.content())}),
        )
    }
}
