-- up
CREATE TABLE "yauth_users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT,
    "email_verified" INTEGER NOT NULL DEFAULT 0,
    "role" TEXT NOT NULL DEFAULT 'user',
    "banned" INTEGER NOT NULL DEFAULT 0,
    "banned_reason" TEXT,
    "banned_until" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_users_email_key" ON "yauth_users" ("email");
CREATE INDEX "yauth_users_created_at_idx" ON "yauth_users" ("created_at");
CREATE TABLE "yauth_sessions" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "ip_address" TEXT,
    "user_agent" TEXT,
    "impersonator_id" TEXT,
    "expires_at" TEXT NOT NULL,
    "absolute_expires_at" TEXT NOT NULL,
    "last_seen_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '',
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE,
    CONSTRAINT "yauth_sessions_impersonator_id_fkey" FOREIGN KEY ("impersonator_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_sessions_user_id_idx" ON "yauth_sessions" ("user_id");
CREATE UNIQUE INDEX "yauth_sessions_token_hash_key" ON "yauth_sessions" ("token_hash");
CREATE INDEX "yauth_sessions_impersonator_id_idx" ON "yauth_sessions" ("impersonator_id");
CREATE INDEX "yauth_sessions_expires_at_idx" ON "yauth_sessions" ("expires_at");
CREATE TABLE "yauth_audit_log" (
    "id" TEXT NOT NULL,
    "user_id" TEXT,
    "event_type" TEXT NOT NULL,
    "metadata" TEXT,
    "ip_address" TEXT,
    "created_at" TEXT NOT NULL,
    "chain" TEXT,
    "seq" INTEGER,
    "prev_hash" TEXT,
    "hash" TEXT,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_audit_log_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE SET NULL
);
CREATE INDEX "yauth_audit_log_user_id_created_at_idx" ON "yauth_audit_log" ("user_id", "created_at");
CREATE INDEX "yauth_audit_log_created_at_idx" ON "yauth_audit_log" ("created_at");
CREATE UNIQUE INDEX "yauth_audit_log_chain_seq_key" ON "yauth_audit_log" ("chain", "seq");
CREATE TABLE "yauth_challenges" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "yauth_challenges_expires_at_idx" ON "yauth_challenges" ("expires_at");
CREATE TABLE "yauth_rate_limits" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "window_start" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "yauth_rate_limits_expires_at_idx" ON "yauth_rate_limits" ("expires_at");
CREATE TABLE "yauth_passwords" (
    "user_id" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("user_id"),
    CONSTRAINT "yauth_passwords_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE TABLE "yauth_password_history" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_password_history_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_password_history_user_id_created_at_idx" ON "yauth_password_history" ("user_id", "created_at");
CREATE TABLE "yauth_email_verifications" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_email_verifications_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_email_verifications_user_id_idx" ON "yauth_email_verifications" ("user_id");
CREATE UNIQUE INDEX "yauth_email_verifications_token_hash_key" ON "yauth_email_verifications" ("token_hash");
CREATE INDEX "yauth_email_verifications_expires_at_idx" ON "yauth_email_verifications" ("expires_at");
CREATE TABLE "yauth_password_resets" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "used_at" TEXT,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_password_resets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_password_resets_user_id_idx" ON "yauth_password_resets" ("user_id");
CREATE UNIQUE INDEX "yauth_password_resets_token_hash_key" ON "yauth_password_resets" ("token_hash");
CREATE INDEX "yauth_password_resets_expires_at_idx" ON "yauth_password_resets" ("expires_at");
CREATE TABLE "yauth_webauthn_credentials" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "credential_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "aaguid" TEXT,
    "device_name" TEXT,
    "credential" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "last_used_at" TEXT,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_webauthn_credentials_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_webauthn_credentials_user_id_idx" ON "yauth_webauthn_credentials" ("user_id");
CREATE UNIQUE INDEX "yauth_webauthn_credentials_credential_id_key" ON "yauth_webauthn_credentials" ("credential_id");
CREATE TABLE "yauth_totp_secrets" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "encrypted_secret" TEXT NOT NULL,
    "verified" INTEGER NOT NULL DEFAULT 0,
    "last_used_step" INTEGER,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_totp_secrets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "yauth_totp_secrets_user_id_key" ON "yauth_totp_secrets" ("user_id");
CREATE TABLE "yauth_backup_codes" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "used_at" TEXT,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_backup_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_backup_codes_user_id_idx" ON "yauth_backup_codes" ("user_id");
CREATE INDEX "yauth_backup_codes_code_hash_idx" ON "yauth_backup_codes" ("code_hash");
CREATE TABLE "yauth_oauth_accounts" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_user_id" TEXT NOT NULL,
    "access_token_enc" TEXT,
    "refresh_token_enc" TEXT,
    "expires_at" TEXT,
    "updated_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_oauth_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "yauth_oauth_accounts_provider_provider_user_id_key" ON "yauth_oauth_accounts" ("provider", "provider_user_id");
CREATE UNIQUE INDEX "yauth_oauth_accounts_user_id_provider_key" ON "yauth_oauth_accounts" ("user_id", "provider");
CREATE TABLE "yauth_oauth_states" (
    "state" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "redirect_url" TEXT,
    "code_verifier" TEXT NOT NULL,
    "nonce" TEXT,
    "link_user_id" TEXT,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("state"),
    CONSTRAINT "yauth_oauth_states_link_user_id_fkey" FOREIGN KEY ("link_user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_oauth_states_link_user_id_idx" ON "yauth_oauth_states" ("link_user_id");
CREATE INDEX "yauth_oauth_states_expires_at_idx" ON "yauth_oauth_states" ("expires_at");
CREATE TABLE "yauth_refresh_tokens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "family_id" TEXT NOT NULL,
    "client_id" TEXT,
    "scopes" TEXT,
    "expires_at" TEXT NOT NULL,
    "revoked" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_refresh_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_refresh_tokens_user_id_idx" ON "yauth_refresh_tokens" ("user_id");
CREATE UNIQUE INDEX "yauth_refresh_tokens_token_hash_key" ON "yauth_refresh_tokens" ("token_hash");
CREATE INDEX "yauth_refresh_tokens_family_id_idx" ON "yauth_refresh_tokens" ("family_id");
CREATE INDEX "yauth_refresh_tokens_expires_at_idx" ON "yauth_refresh_tokens" ("expires_at");
CREATE TABLE "yauth_revocations" (
    "jti" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("jti")
);
CREATE INDEX "yauth_revocations_expires_at_idx" ON "yauth_revocations" ("expires_at");
CREATE TABLE "yauth_signing_keys" (
    "kid" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "public_jwk" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "retired_at" TEXT,
    "expires_at" TEXT,
    PRIMARY KEY ("kid")
);
CREATE INDEX "yauth_signing_keys_expires_at_idx" ON "yauth_signing_keys" ("expires_at");
CREATE TABLE "yauth_api_keys" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scopes" TEXT,
    "last_used_at" TEXT,
    "expires_at" TEXT,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_api_keys_user_id_idx" ON "yauth_api_keys" ("user_id");
CREATE UNIQUE INDEX "yauth_api_keys_key_prefix_key" ON "yauth_api_keys" ("key_prefix");
CREATE TABLE "yauth_magic_links" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_magic_links_email_idx" ON "yauth_magic_links" ("email");
CREATE UNIQUE INDEX "yauth_magic_links_token_hash_key" ON "yauth_magic_links" ("token_hash");
CREATE INDEX "yauth_magic_links_expires_at_idx" ON "yauth_magic_links" ("expires_at");
CREATE TABLE "yauth_oauth2_clients" (
    "id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret_hash" TEXT,
    "redirect_uris" TEXT NOT NULL,
    "client_name" TEXT,
    "grant_types" TEXT NOT NULL,
    "scopes" TEXT,
    "is_public" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_oauth2_clients_client_id_key" ON "yauth_oauth2_clients" ("client_id");
CREATE TABLE "yauth_authorization_codes" (
    "id" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "scopes" TEXT,
    "redirect_uri" TEXT NOT NULL,
    "code_challenge" TEXT NOT NULL,
    "code_challenge_method" TEXT NOT NULL,
    "nonce" TEXT,
    "auth_time" TEXT NOT NULL,
    "amr" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_authorization_codes_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "yauth_oauth2_clients" ("client_id") ON DELETE CASCADE,
    CONSTRAINT "yauth_authorization_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "yauth_authorization_codes_code_hash_key" ON "yauth_authorization_codes" ("code_hash");
CREATE INDEX "yauth_authorization_codes_client_id_idx" ON "yauth_authorization_codes" ("client_id");
CREATE INDEX "yauth_authorization_codes_user_id_idx" ON "yauth_authorization_codes" ("user_id");
CREATE INDEX "yauth_authorization_codes_expires_at_idx" ON "yauth_authorization_codes" ("expires_at");
CREATE TABLE "yauth_consents" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_consents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE,
    CONSTRAINT "yauth_consents_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "yauth_oauth2_clients" ("client_id") ON DELETE CASCADE
);
CREATE INDEX "yauth_consents_client_id_idx" ON "yauth_consents" ("client_id");
CREATE UNIQUE INDEX "yauth_consents_user_id_client_id_key" ON "yauth_consents" ("user_id", "client_id");
CREATE TABLE "yauth_device_codes" (
    "id" TEXT NOT NULL,
    "device_code_hash" TEXT NOT NULL,
    "user_code" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "scopes" TEXT,
    "user_id" TEXT,
    "status" TEXT NOT NULL,
    "interval" INTEGER NOT NULL,
    "expires_at" TEXT NOT NULL,
    "last_polled_at" TEXT,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_device_codes_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "yauth_oauth2_clients" ("client_id") ON DELETE CASCADE,
    CONSTRAINT "yauth_device_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "yauth_device_codes_device_code_hash_key" ON "yauth_device_codes" ("device_code_hash");
CREATE UNIQUE INDEX "yauth_device_codes_user_code_key" ON "yauth_device_codes" ("user_code");
CREATE INDEX "yauth_device_codes_client_id_idx" ON "yauth_device_codes" ("client_id");
CREATE INDEX "yauth_device_codes_user_id_idx" ON "yauth_device_codes" ("user_id");
CREATE INDEX "yauth_device_codes_expires_at_idx" ON "yauth_device_codes" ("expires_at");
CREATE TABLE "yauth_account_locks" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "failed_count" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TEXT,
    "lock_count" INTEGER NOT NULL DEFAULT 0,
    "locked_reason" TEXT,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_account_locks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "yauth_account_locks_user_id_key" ON "yauth_account_locks" ("user_id");
CREATE TABLE "yauth_unlock_tokens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_unlock_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_unlock_tokens_user_id_idx" ON "yauth_unlock_tokens" ("user_id");
CREATE UNIQUE INDEX "yauth_unlock_tokens_token_hash_key" ON "yauth_unlock_tokens" ("token_hash");
CREATE INDEX "yauth_unlock_tokens_expires_at_idx" ON "yauth_unlock_tokens" ("expires_at");
CREATE TABLE "yauth_webhooks" (
    "id" TEXT NOT NULL,
    "user_id" TEXT,
    "url" TEXT NOT NULL,
    "secret_enc" TEXT NOT NULL,
    "events" TEXT NOT NULL,
    "active" INTEGER NOT NULL DEFAULT 1,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_webhooks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "yauth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_webhooks_user_id_idx" ON "yauth_webhooks" ("user_id");
CREATE TABLE "yauth_webhook_deliveries" (
    "id" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TEXT NOT NULL,
    "locked_until" TEXT,
    "status_code" INTEGER,
    "response_body" TEXT,
    "last_error" TEXT,
    "duration_ms" INTEGER,
    "success" INTEGER NOT NULL DEFAULT 0,
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "yauth_webhooks" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_webhook_deliveries_webhook_id_created_at_idx" ON "yauth_webhook_deliveries" ("webhook_id", "created_at");
CREATE INDEX "yauth_webhook_deliveries_status_next_attempt_at_idx" ON "yauth_webhook_deliveries" ("status", "next_attempt_at");
CREATE TABLE "yauth_oidc_nonces" (
    "id" TEXT NOT NULL,
    "nonce_hash" TEXT NOT NULL,
    "authorization_code_id" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "yauth_oidc_nonces_authorization_code_id_fkey" FOREIGN KEY ("authorization_code_id") REFERENCES "yauth_authorization_codes" ("id") ON DELETE CASCADE
);
CREATE INDEX "yauth_oidc_nonces_nonce_hash_idx" ON "yauth_oidc_nonces" ("nonce_hash");
CREATE INDEX "yauth_oidc_nonces_authorization_code_id_idx" ON "yauth_oidc_nonces" ("authorization_code_id");

-- down
DROP TABLE "yauth_oidc_nonces";
DROP TABLE "yauth_webhook_deliveries";
DROP TABLE "yauth_webhooks";
DROP TABLE "yauth_unlock_tokens";
DROP TABLE "yauth_account_locks";
DROP TABLE "yauth_device_codes";
DROP TABLE "yauth_consents";
DROP TABLE "yauth_authorization_codes";
DROP TABLE "yauth_oauth2_clients";
DROP TABLE "yauth_magic_links";
DROP TABLE "yauth_api_keys";
DROP TABLE "yauth_signing_keys";
DROP TABLE "yauth_revocations";
DROP TABLE "yauth_refresh_tokens";
DROP TABLE "yauth_oauth_states";
DROP TABLE "yauth_oauth_accounts";
DROP TABLE "yauth_backup_codes";
DROP TABLE "yauth_totp_secrets";
DROP TABLE "yauth_webauthn_credentials";
DROP TABLE "yauth_password_resets";
DROP TABLE "yauth_email_verifications";
DROP TABLE "yauth_password_history";
DROP TABLE "yauth_passwords";
DROP TABLE "yauth_rate_limits";
DROP TABLE "yauth_challenges";
DROP TABLE "yauth_audit_log";
DROP TABLE "yauth_sessions";
DROP TABLE "yauth_users";
