-- up
CREATE SCHEMA IF NOT EXISTS "auth";
CREATE TABLE "auth"."yauth_users" (
    "id" UUID NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "display_name" VARCHAR(255),
    "email_verified" BOOLEAN NOT NULL DEFAULT FALSE,
    "role" VARCHAR(32) NOT NULL DEFAULT 'user',
    "banned" BOOLEAN NOT NULL DEFAULT FALSE,
    "banned_reason" TEXT,
    "banned_until" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_users_email_key" ON "auth"."yauth_users" ("email");
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX "yauth_users_email_trgm" ON "auth"."yauth_users" USING gin ("email" public.gin_trgm_ops);
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX "yauth_users_display_name_trgm" ON "auth"."yauth_users" USING gin ("display_name" public.gin_trgm_ops);
CREATE INDEX "yauth_users_created_at_idx" ON "auth"."yauth_users" ("created_at");
CREATE TABLE "auth"."yauth_sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "ip_address" VARCHAR(64),
    "user_agent" TEXT,
    "impersonator_id" UUID,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "absolute_expires_at" TIMESTAMPTZ NOT NULL,
    "last_seen_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "amr" VARCHAR(255) NOT NULL DEFAULT '',
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_sessions_user_id_idx" ON "auth"."yauth_sessions" ("user_id");
CREATE UNIQUE INDEX "yauth_sessions_token_hash_key" ON "auth"."yauth_sessions" ("token_hash");
CREATE INDEX "yauth_sessions_impersonator_id_idx" ON "auth"."yauth_sessions" ("impersonator_id");
CREATE INDEX "yauth_sessions_expires_at_idx" ON "auth"."yauth_sessions" ("expires_at");
ALTER TABLE "auth"."yauth_sessions" ADD CONSTRAINT "yauth_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
ALTER TABLE "auth"."yauth_sessions" ADD CONSTRAINT "yauth_sessions_impersonator_id_fkey" FOREIGN KEY ("impersonator_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_audit_log" (
    "id" UUID NOT NULL,
    "user_id" UUID,
    "event_type" VARCHAR(64) NOT NULL,
    "metadata" JSONB,
    "ip_address" VARCHAR(64),
    "created_at" TIMESTAMPTZ NOT NULL,
    "chain" VARCHAR(64),
    "seq" BIGINT,
    "prev_hash" VARCHAR(64),
    "hash" VARCHAR(64),
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_audit_log_user_id_created_at_idx" ON "auth"."yauth_audit_log" ("user_id", "created_at");
CREATE INDEX "yauth_audit_log_created_at_idx" ON "auth"."yauth_audit_log" ("created_at");
CREATE UNIQUE INDEX "yauth_audit_log_chain_seq_key" ON "auth"."yauth_audit_log" ("chain", "seq");
ALTER TABLE "auth"."yauth_audit_log" ADD CONSTRAINT "yauth_audit_log_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE SET NULL;
CREATE TABLE "auth"."yauth_challenges" (
    "key" VARCHAR(255) NOT NULL,
    "value" JSONB NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "yauth_challenges_expires_at_idx" ON "auth"."yauth_challenges" ("expires_at");
CREATE TABLE "auth"."yauth_rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "count" INTEGER NOT NULL,
    "window_start" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "yauth_rate_limits_expires_at_idx" ON "auth"."yauth_rate_limits" ("expires_at");
CREATE TABLE "auth"."yauth_passwords" (
    "user_id" UUID NOT NULL,
    "password_hash" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("user_id")
);
ALTER TABLE "auth"."yauth_passwords" ADD CONSTRAINT "yauth_passwords_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_password_history" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_password_history_user_id_created_at_idx" ON "auth"."yauth_password_history" ("user_id", "created_at");
ALTER TABLE "auth"."yauth_password_history" ADD CONSTRAINT "yauth_password_history_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_email_verifications" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_email_verifications_user_id_idx" ON "auth"."yauth_email_verifications" ("user_id");
CREATE UNIQUE INDEX "yauth_email_verifications_token_hash_key" ON "auth"."yauth_email_verifications" ("token_hash");
CREATE INDEX "yauth_email_verifications_expires_at_idx" ON "auth"."yauth_email_verifications" ("expires_at");
ALTER TABLE "auth"."yauth_email_verifications" ADD CONSTRAINT "yauth_email_verifications_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_password_resets" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_password_resets_user_id_idx" ON "auth"."yauth_password_resets" ("user_id");
CREATE UNIQUE INDEX "yauth_password_resets_token_hash_key" ON "auth"."yauth_password_resets" ("token_hash");
CREATE INDEX "yauth_password_resets_expires_at_idx" ON "auth"."yauth_password_resets" ("expires_at");
ALTER TABLE "auth"."yauth_password_resets" ADD CONSTRAINT "yauth_password_resets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_webauthn_credentials" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "credential_id" VARCHAR(512) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "aaguid" VARCHAR(36),
    "device_name" VARCHAR(255),
    "credential" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_webauthn_credentials_user_id_idx" ON "auth"."yauth_webauthn_credentials" ("user_id");
CREATE UNIQUE INDEX "yauth_webauthn_credentials_credential_id_key" ON "auth"."yauth_webauthn_credentials" ("credential_id");
ALTER TABLE "auth"."yauth_webauthn_credentials" ADD CONSTRAINT "yauth_webauthn_credentials_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_totp_secrets" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "encrypted_secret" TEXT NOT NULL,
    "verified" BOOLEAN NOT NULL DEFAULT FALSE,
    "last_used_step" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_totp_secrets_user_id_key" ON "auth"."yauth_totp_secrets" ("user_id");
ALTER TABLE "auth"."yauth_totp_secrets" ADD CONSTRAINT "yauth_totp_secrets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_backup_codes" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT FALSE,
    "used_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_backup_codes_user_id_idx" ON "auth"."yauth_backup_codes" ("user_id");
CREATE INDEX "yauth_backup_codes_code_hash_idx" ON "auth"."yauth_backup_codes" ("code_hash");
ALTER TABLE "auth"."yauth_backup_codes" ADD CONSTRAINT "yauth_backup_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_oauth_accounts" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "provider" VARCHAR(64) NOT NULL,
    "provider_user_id" VARCHAR(255) NOT NULL,
    "access_token_enc" TEXT,
    "refresh_token_enc" TEXT,
    "expires_at" TIMESTAMPTZ,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_oauth_accounts_provider_provider_user_id_key" ON "auth"."yauth_oauth_accounts" ("provider", "provider_user_id");
CREATE UNIQUE INDEX "yauth_oauth_accounts_user_id_provider_key" ON "auth"."yauth_oauth_accounts" ("user_id", "provider");
ALTER TABLE "auth"."yauth_oauth_accounts" ADD CONSTRAINT "yauth_oauth_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_oauth_states" (
    "state" VARCHAR(64) NOT NULL,
    "provider" VARCHAR(64) NOT NULL,
    "redirect_url" TEXT,
    "code_verifier" TEXT NOT NULL,
    "nonce" VARCHAR(255),
    "link_user_id" UUID,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("state")
);
CREATE INDEX "yauth_oauth_states_link_user_id_idx" ON "auth"."yauth_oauth_states" ("link_user_id");
CREATE INDEX "yauth_oauth_states_expires_at_idx" ON "auth"."yauth_oauth_states" ("expires_at");
ALTER TABLE "auth"."yauth_oauth_states" ADD CONSTRAINT "yauth_oauth_states_link_user_id_fkey" FOREIGN KEY ("link_user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_refresh_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "family_id" UUID NOT NULL,
    "client_id" VARCHAR(255),
    "scopes" JSONB,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "revoked" BOOLEAN NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_refresh_tokens_user_id_idx" ON "auth"."yauth_refresh_tokens" ("user_id");
CREATE UNIQUE INDEX "yauth_refresh_tokens_token_hash_key" ON "auth"."yauth_refresh_tokens" ("token_hash");
CREATE INDEX "yauth_refresh_tokens_family_id_idx" ON "auth"."yauth_refresh_tokens" ("family_id");
CREATE INDEX "yauth_refresh_tokens_expires_at_idx" ON "auth"."yauth_refresh_tokens" ("expires_at");
ALTER TABLE "auth"."yauth_refresh_tokens" ADD CONSTRAINT "yauth_refresh_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_revocations" (
    "jti" VARCHAR(255) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("jti")
);
CREATE INDEX "yauth_revocations_expires_at_idx" ON "auth"."yauth_revocations" ("expires_at");
CREATE TABLE "auth"."yauth_signing_keys" (
    "kid" VARCHAR(64) NOT NULL,
    "algorithm" VARCHAR(16) NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "retired_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ,
    PRIMARY KEY ("kid")
);
CREATE INDEX "yauth_signing_keys_expires_at_idx" ON "auth"."yauth_signing_keys" ("expires_at");
CREATE TABLE "auth"."yauth_api_keys" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "key_prefix" VARCHAR(32) NOT NULL,
    "key_hash" VARCHAR(64) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "scopes" JSONB,
    "last_used_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_api_keys_user_id_idx" ON "auth"."yauth_api_keys" ("user_id");
CREATE UNIQUE INDEX "yauth_api_keys_key_prefix_key" ON "auth"."yauth_api_keys" ("key_prefix");
ALTER TABLE "auth"."yauth_api_keys" ADD CONSTRAINT "yauth_api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_magic_links" (
    "id" UUID NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_magic_links_email_idx" ON "auth"."yauth_magic_links" ("email");
CREATE UNIQUE INDEX "yauth_magic_links_token_hash_key" ON "auth"."yauth_magic_links" ("token_hash");
CREATE INDEX "yauth_magic_links_expires_at_idx" ON "auth"."yauth_magic_links" ("expires_at");
CREATE TABLE "auth"."yauth_oauth2_clients" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(255) NOT NULL,
    "client_secret_hash" VARCHAR(255),
    "redirect_uris" JSONB NOT NULL,
    "client_name" VARCHAR(255),
    "grant_types" JSONB NOT NULL,
    "scopes" JSONB,
    "is_public" BOOLEAN NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_oauth2_clients_client_id_key" ON "auth"."yauth_oauth2_clients" ("client_id");
CREATE TABLE "auth"."yauth_authorization_codes" (
    "id" UUID NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "client_id" VARCHAR(255) NOT NULL,
    "user_id" UUID NOT NULL,
    "scopes" JSONB,
    "redirect_uri" TEXT NOT NULL,
    "code_challenge" VARCHAR(128) NOT NULL,
    "code_challenge_method" VARCHAR(16) NOT NULL,
    "nonce" VARCHAR(255),
    "auth_time" TIMESTAMPTZ NOT NULL,
    "amr" JSONB NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used" BOOLEAN NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_authorization_codes_code_hash_key" ON "auth"."yauth_authorization_codes" ("code_hash");
CREATE INDEX "yauth_authorization_codes_client_id_idx" ON "auth"."yauth_authorization_codes" ("client_id");
CREATE INDEX "yauth_authorization_codes_user_id_idx" ON "auth"."yauth_authorization_codes" ("user_id");
CREATE INDEX "yauth_authorization_codes_expires_at_idx" ON "auth"."yauth_authorization_codes" ("expires_at");
ALTER TABLE "auth"."yauth_authorization_codes" ADD CONSTRAINT "yauth_authorization_codes_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "auth"."yauth_oauth2_clients" ("client_id") ON DELETE CASCADE;
ALTER TABLE "auth"."yauth_authorization_codes" ADD CONSTRAINT "yauth_authorization_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_consents" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "client_id" VARCHAR(255) NOT NULL,
    "scopes" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_consents_client_id_idx" ON "auth"."yauth_consents" ("client_id");
CREATE UNIQUE INDEX "yauth_consents_user_id_client_id_key" ON "auth"."yauth_consents" ("user_id", "client_id");
ALTER TABLE "auth"."yauth_consents" ADD CONSTRAINT "yauth_consents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
ALTER TABLE "auth"."yauth_consents" ADD CONSTRAINT "yauth_consents_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "auth"."yauth_oauth2_clients" ("client_id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_device_codes" (
    "id" UUID NOT NULL,
    "device_code_hash" VARCHAR(64) NOT NULL,
    "user_code" VARCHAR(16) NOT NULL,
    "client_id" VARCHAR(255) NOT NULL,
    "scopes" JSONB,
    "user_id" UUID,
    "status" VARCHAR(16) NOT NULL,
    "interval" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "last_polled_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_device_codes_device_code_hash_key" ON "auth"."yauth_device_codes" ("device_code_hash");
CREATE UNIQUE INDEX "yauth_device_codes_user_code_key" ON "auth"."yauth_device_codes" ("user_code");
CREATE INDEX "yauth_device_codes_client_id_idx" ON "auth"."yauth_device_codes" ("client_id");
CREATE INDEX "yauth_device_codes_user_id_idx" ON "auth"."yauth_device_codes" ("user_id");
CREATE INDEX "yauth_device_codes_expires_at_idx" ON "auth"."yauth_device_codes" ("expires_at");
ALTER TABLE "auth"."yauth_device_codes" ADD CONSTRAINT "yauth_device_codes_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "auth"."yauth_oauth2_clients" ("client_id") ON DELETE CASCADE;
ALTER TABLE "auth"."yauth_device_codes" ADD CONSTRAINT "yauth_device_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_account_locks" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "failed_count" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ,
    "lock_count" INTEGER NOT NULL DEFAULT 0,
    "locked_reason" TEXT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "yauth_account_locks_user_id_key" ON "auth"."yauth_account_locks" ("user_id");
ALTER TABLE "auth"."yauth_account_locks" ADD CONSTRAINT "yauth_account_locks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_unlock_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_unlock_tokens_user_id_idx" ON "auth"."yauth_unlock_tokens" ("user_id");
CREATE UNIQUE INDEX "yauth_unlock_tokens_token_hash_key" ON "auth"."yauth_unlock_tokens" ("token_hash");
CREATE INDEX "yauth_unlock_tokens_expires_at_idx" ON "auth"."yauth_unlock_tokens" ("expires_at");
ALTER TABLE "auth"."yauth_unlock_tokens" ADD CONSTRAINT "yauth_unlock_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_webhooks" (
    "id" UUID NOT NULL,
    "user_id" UUID,
    "url" TEXT NOT NULL,
    "secret_enc" TEXT NOT NULL,
    "events" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT TRUE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_webhooks_user_id_idx" ON "auth"."yauth_webhooks" ("user_id");
ALTER TABLE "auth"."yauth_webhooks" ADD CONSTRAINT "yauth_webhooks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth"."yauth_users" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_webhook_deliveries" (
    "id" UUID NOT NULL,
    "webhook_id" UUID NOT NULL,
    "event_type" VARCHAR(64) NOT NULL,
    "payload" JSONB NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "locked_until" TIMESTAMPTZ,
    "status_code" INTEGER,
    "response_body" TEXT,
    "last_error" TEXT,
    "duration_ms" INTEGER,
    "success" BOOLEAN NOT NULL DEFAULT FALSE,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_webhook_deliveries_webhook_id_created_at_idx" ON "auth"."yauth_webhook_deliveries" ("webhook_id", "created_at");
CREATE INDEX "yauth_webhook_deliveries_status_next_attempt_at_idx" ON "auth"."yauth_webhook_deliveries" ("status", "next_attempt_at");
ALTER TABLE "auth"."yauth_webhook_deliveries" ADD CONSTRAINT "yauth_webhook_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "auth"."yauth_webhooks" ("id") ON DELETE CASCADE;
CREATE TABLE "auth"."yauth_oidc_nonces" (
    "id" UUID NOT NULL,
    "nonce_hash" VARCHAR(64) NOT NULL,
    "authorization_code_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "yauth_oidc_nonces_nonce_hash_idx" ON "auth"."yauth_oidc_nonces" ("nonce_hash");
CREATE INDEX "yauth_oidc_nonces_authorization_code_id_idx" ON "auth"."yauth_oidc_nonces" ("authorization_code_id");
ALTER TABLE "auth"."yauth_oidc_nonces" ADD CONSTRAINT "yauth_oidc_nonces_authorization_code_id_fkey" FOREIGN KEY ("authorization_code_id") REFERENCES "auth"."yauth_authorization_codes" ("id") ON DELETE CASCADE;

-- down
DROP TABLE "auth"."yauth_oidc_nonces";
DROP TABLE "auth"."yauth_webhook_deliveries";
DROP TABLE "auth"."yauth_webhooks";
DROP TABLE "auth"."yauth_unlock_tokens";
DROP TABLE "auth"."yauth_account_locks";
DROP TABLE "auth"."yauth_device_codes";
DROP TABLE "auth"."yauth_consents";
DROP TABLE "auth"."yauth_authorization_codes";
DROP TABLE "auth"."yauth_oauth2_clients";
DROP TABLE "auth"."yauth_magic_links";
DROP TABLE "auth"."yauth_api_keys";
DROP TABLE "auth"."yauth_signing_keys";
DROP TABLE "auth"."yauth_revocations";
DROP TABLE "auth"."yauth_refresh_tokens";
DROP TABLE "auth"."yauth_oauth_states";
DROP TABLE "auth"."yauth_oauth_accounts";
DROP TABLE "auth"."yauth_backup_codes";
DROP TABLE "auth"."yauth_totp_secrets";
DROP TABLE "auth"."yauth_webauthn_credentials";
DROP TABLE "auth"."yauth_password_resets";
DROP TABLE "auth"."yauth_email_verifications";
DROP TABLE "auth"."yauth_password_history";
DROP TABLE "auth"."yauth_passwords";
DROP TABLE "auth"."yauth_rate_limits";
DROP TABLE "auth"."yauth_challenges";
DROP TABLE "auth"."yauth_audit_log";
DROP TABLE "auth"."yauth_sessions";
DROP TABLE "auth"."yauth_users";
