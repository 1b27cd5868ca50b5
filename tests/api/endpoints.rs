//! One typed call per endpoint the tests use most, so a test reads as what it does
//! (`app.create_space(&sk, "s")`) rather than how it is sent. Each answers what the server
//! answered, `(status, body)`, untouched: assertions stay in the tests. [`AssertOk`] and
//! [`Record`] read the usual parts of such an answer.

use crate::helpers::TestApp;
use actix_web::http::StatusCode;
use serde_json::{json, Value};

/// What a call answered: its status and its JSON body.
pub type Reply = (StatusCode, Value);

/// Asserting that a call succeeded.
pub trait AssertOk {
    /// The body, after asserting that the status is 200 OK (the body is the message).
    fn assert_ok(self) -> Value;
}

impl AssertOk for Reply {
    fn assert_ok(self) -> Value {
        assert_eq!(self.0, StatusCode::OK, "{}", self.1);
        self.1
    }
}

/// Reading the record an answer carries, from the answer or from its body.
pub trait Record {
    fn body(&self) -> &Value;

    /// `data.id`, the created or read record's id.
    fn id(&self) -> String {
        let body = self.body();
        body["data"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no data.id in {body}"))
            .to_owned()
    }

    /// `data[0].id`, the first record's id in a list answer.
    fn first_id(&self) -> String {
        let body = self.body();
        body["data"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no data[0].id in {body}"))
            .to_owned()
    }
}

impl Record for Reply {
    fn body(&self) -> &Value {
        &self.1
    }
}

impl Record for Value {
    fn body(&self) -> &Value {
        self
    }
}

impl TestApp {
    /// `GET /v1/environments`.
    pub async fn environments(&self, token: &str) -> Reply {
        self.get("/v1/environments", token).await
    }

    /// `GET /v1/environments/current`.
    pub async fn current_environment(&self, token: &str) -> Reply {
        self.get("/v1/environments/current", token).await
    }

    /// `GET /v1/accounts/current`.
    pub async fn current_account(&self, token: &str) -> Reply {
        self.get("/v1/accounts/current", token).await
    }

    /// `GET /v1/latchkey/whoami`: what the server makes of `token`.
    pub async fn whoami(&self, token: &str) -> Reply {
        self.get("/v1/latchkey/whoami", token).await
    }

    /// `GET /v1/events?{query}` (`query` empty: no query string).
    pub async fn events(&self, token: &str, query: &str) -> Reply {
        if query.is_empty() {
            self.get("/v1/events", token).await
        } else {
            self.get(&format!("/v1/events?{query}"), token).await
        }
    }

    /// `GET /v1/events/{id}`.
    pub async fn event(&self, token: &str, id: &str) -> Reply {
        self.get(&format!("/v1/events/{id}"), token).await
    }

    /// `POST /v1/spaces` with only a name (the caller's environment).
    pub async fn create_space(&self, token: &str, name: &str) -> Reply {
        self.post("/v1/spaces", token, json!({ "name": name }))
            .await
    }

    /// `POST /v1/spaces` with a name in the environment `env`.
    pub async fn create_space_in(&self, token: &str, env: &str, name: &str) -> Reply {
        let body = json!({ "name": name, "environmentId": env });
        self.post("/v1/spaces", token, body).await
    }

    /// `GET /v1/spaces/{id}`.
    pub async fn space(&self, token: &str, id: &str) -> Reply {
        self.get(&format!("/v1/spaces/{id}"), token).await
    }

    /// `GET /v1/spaces`: the spaces the caller sees.
    pub async fn list_spaces(&self, token: &str) -> Reply {
        self.get("/v1/spaces", token).await
    }

    /// `POST /v1/spaces/{id}/archive`.
    pub async fn archive_space(&self, token: &str, id: &str) -> Reply {
        self.post_empty(&format!("/v1/spaces/{id}/archive"), token)
            .await
    }

    /// `POST /v1/spaces/{id}/unarchive`.
    pub async fn unarchive_space(&self, token: &str, id: &str) -> Reply {
        self.post_empty(&format!("/v1/spaces/{id}/unarchive"), token)
            .await
    }

    /// `POST /v1/workbooks` with `workbook` (name, spaceId, sheets, …).
    pub async fn create_workbook(&self, token: &str, workbook: Value) -> Reply {
        self.post("/v1/workbooks", token, workbook).await
    }

    /// `POST /v1/invitations` with `invitations` (guestId and spaceId each).
    pub async fn send_invitations(&self, token: &str, invitations: Value) -> Reply {
        self.post("/v1/invitations", token, invitations).await
    }

    /// `POST /v1/events`: a client-written event.
    pub async fn create_event(&self, token: &str, event: Value) -> Reply {
        self.post("/v1/events", token, event).await
    }

    /// `GET /v1/secrets`: the secrets of the caller's environment.
    pub async fn secrets(&self, token: &str) -> Reply {
        self.get("/v1/secrets", token).await
    }

    /// `GET /v1/users`.
    pub async fn users(&self, token: &str) -> Reply {
        self.get("/v1/users", token).await
    }

    /// `GET /v1/auth/personal-access-tokens`: the caller's PATs.
    pub async fn pats(&self, token: &str) -> Reply {
        self.get("/v1/auth/personal-access-tokens", token).await
    }

    /// `POST /v1/auth/api-key?environmentId={env}&type={kind}`: a new key of `kind`
    /// (`SECRET` or `PUBLISHABLE`).
    pub async fn create_api_key(&self, token: &str, env: &str, kind: &str) -> Reply {
        let path = format!("/v1/auth/api-key?environmentId={env}&type={kind}");
        self.post_empty(&path, token).await
    }

    /// `DELETE /v1/auth/api-key?environmentId={env}&key={key}`.
    pub async fn delete_api_key(&self, token: &str, env: &str, key: &str) -> Reply {
        let path = format!("/v1/auth/api-key?environmentId={env}&key={key}");
        self.delete(&path, token).await
    }

    /// `POST /v1/latchkey/api-keys/{id}/rotate` with `body` (`expiresInSeconds`).
    pub async fn rotate_key(&self, token: &str, id: &str, body: Value) -> Reply {
        self.post(&format!("/v1/latchkey/api-keys/{id}/rotate"), token, body)
            .await
    }

    /// `DELETE /v1/auth/personal-access-tokens/{id}`.
    pub async fn delete_pat(&self, token: &str, id: &str) -> Reply {
        self.delete(&format!("/v1/auth/personal-access-tokens/{id}"), token)
            .await
    }

    /// `POST /v1/data-clips` with `clip` (name, sourceSheetId, collaborators, …).
    pub async fn create_data_clip(&self, token: &str, clip: Value) -> Reply {
        self.post("/v1/data-clips", token, clip).await
    }

    /// `GET /v1/latchkey/outbox`: the mails the server would have sent, newest first.
    pub async fn outbox(&self, token: &str) -> Reply {
        self.get("/v1/latchkey/outbox", token).await
    }

    /// `POST /v1/guests` with `guests` (the contract's array of guests).
    pub async fn add_guests(&self, token: &str, guests: Value) -> Reply {
        self.post("/v1/guests", token, guests).await
    }

    /// `GET /v1/guests/{id}`.
    pub async fn guest(&self, token: &str, id: &str) -> Reply {
        self.get(&format!("/v1/guests/{id}"), token).await
    }

    /// `GET /v1/guests/{id}/token`: a token for the guest.
    pub async fn guest_token(&self, token: &str, id: &str) -> Reply {
        self.get(&format!("/v1/guests/{id}/token"), token).await
    }

    /// `POST /v1/secrets` (an upsert by name and scope).
    pub async fn write_secret(&self, token: &str, secret: Value) -> Reply {
        self.post("/v1/secrets", token, secret).await
    }

    /// `POST /v1/invitations/exchange`, unauthenticated: an invitation's token for a session.
    pub async fn exchange_invitation(&self, body: Value) -> Reply {
        self.request("POST", "/v1/invitations/exchange", None, Some(body))
            .await
    }

    /// `POST /v1/latchkey/password`, unauthenticated: a mailed link's token and a password.
    pub async fn set_password(&self, body: Value) -> Reply {
        self.request("POST", "/v1/latchkey/password", None, Some(body))
            .await
    }

    /// `DELETE /v1/users/{id}`.
    pub async fn delete_user(&self, token: &str, id: &str) -> Reply {
        self.delete(&format!("/v1/users/{id}"), token).await
    }
}
