import type { SessionInfo } from '@im/contracts';
import { useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';
import { Dialog } from './common.js';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { api, me, e2ee, signOut } = useServices();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [signingOut, setSigningOut] = useState(false);

  const load = useCallback(() => {
    api.sessions().then(
      // This device first, then the most recently active.
      (list) =>
        setSessions(
          [...list].sort(
            (a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt),
          ),
        ),
      (failure: unknown) => setError(describeError(failure)),
    );
  }, [api]);
  useEffect(load, [load]);

  async function revoke(session: SessionInfo) {
    if (!window.confirm(`Sign out “${session.deviceName}”? It will need the password to come back.`)) return;
    setError(null);
    try {
      await api.revokeSession(session.id);
      load();
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  return (
    <Dialog title="Settings" onClose={onClose} wide>
      <section className="stack">
        <h3 className="section-title">Account</h3>
        <p>
          Signed in as <strong>{me.username}</strong>.
        </p>
        <p className="small muted">
          Your key fingerprint (others see it as part of their safety number with you):
          <br />
          <code data-testid="my-fingerprint">{e2ee.myFingerprint}</code>
        </p>
      </section>
      <section className="stack">
        <h3 className="section-title">Devices</h3>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {!sessions && !error && <p className="muted">Loading devices…</p>}
        {sessions && (
          <ul className="device-list">
            {sessions.map((s) => (
              <li key={s.id}>
                <span className="device-name">
                  {s.deviceName}
                  {s.current && <span className="tag ok">this device</span>}
                </span>
                <span className="device-meta small muted">
                  Signed in {new Date(s.createdAt).toLocaleDateString()} · last active{' '}
                  {new Date(s.lastUsedAt).toLocaleString()}
                </span>
                {!s.current && (
                  <button type="button" className="secondary small" onClick={() => void revoke(s)}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="dialog-actions">
        <button
          type="button"
          className="danger"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void signOut();
          }}
        >
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </div>
    </Dialog>
  );
}
