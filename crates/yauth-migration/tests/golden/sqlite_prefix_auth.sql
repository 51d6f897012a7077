-- up
CREATE TABLE "auth_users" (
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
CREATE UNIQUE INDEX "auth_users_email_key" ON "auth_users" ("email");
CREATE INDEX "auth_users_created_at_idx" ON "auth_users" ("created_at");
CREATE TABLE "auth_sessions" (
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
    CONSTRAINT "auth_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_users" ("id") ON DELETE CASCADE,
    CONSTRAINT "auth_sessions_impersonator_id_fkey" FOREIGN KEY ("impersonator_id") REFERENCES "auth_users" ("id") ON DELETE CASCADE
);
CREATE INDEX "auth_sessions_user_id_idx" ON "auth_sessions" ("user_id");
CREATE UNIQUE INDEX "auth_sessions_token_hash_key" ON "auth_sessions" ("token_hash");
CREATE INDEX "auth_sessions_impersonator_id_idx" ON "auth_sessions" ("impersonator_id");
CREATE INDEX "auth_sessions_expires_at_idx" ON "auth_sessions" ("expires_at");
CREATE TABLE "auth_audit_log" (
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
    CONSTRAINT "auth_audit_log_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "auth_users" ("id") ON DELETE SET NULL
);
CREATE INDEX "auth_audit_log_user_id_created_at_idx" ON "auth_audit_log" ("user_id", "created_at");
CREATE INDEX "auth_audit_log_created_at_idx" ON "auth_audit_log" ("created_at");
CREATE UNIQUE INDEX "auth_audit_log_chain_seq_key" ON "auth_audit_log" ("chain", "seq");
CREATE TABLE "auth_challenges" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "auth_challenges_expires_at_idx" ON "auth_challenges" ("expires_at");
CREATE TABLE "auth_rate_limits" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "window_start" TEXT NOT NULL,
    "expires_at" TEXT NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX "auth_rate_limits_expires_at_idx" ON "auth_rate_limits" ("expires_at");

-- down
DROP TABLE "auth_rate_limits";
DROP TABLE "auth_challenges";
DROP TABLE "auth_audit_log";
DROP TABLE "auth_sessions";
DROP TABLE "auth_users";
