-- Verifiers that start load the sessions revoked within one access-token lifetime.
CREATE INDEX "sessions_revoked_at_idx" ON "sessions"("revoked_at");
